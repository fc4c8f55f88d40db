"""The cont lowering: each RTA_ASYNC function becomes a cont function
(include/rta/cont.h) whose frame F holds only the locals live across an
await; awaits in any expression position are hoisted into statements in C's
sequencing, keeping && || ?: short-circuit.

Liveness (conservative, never too small): a local v lives across await A
when A lies in v's scope after v's declaration and v is used after the start
of the statement holding A, or A and a use of v share a loop that v was
declared outside of. Such locals (and parameters) are frame fields F.v; the
rest stay C locals, which the resume jump skips (they are dead there).

An address-taken local whose scope holds a later await (or one in a shared
loop) cannot live in F: the frame moves between the stack and the heap, so
the pointer would dangle. It lives in a heap block the frame owns instead
(F.rtac_heap->v, the block's type <f>__locals), as a C++ coroutine frame
holds its locals: the function becomes a wrapper that allocates the block
and awaits <f>__body (the user's code) inside RTA_CONT_TRY / RTA_CONT_FINALLY,
which frees it on return and on a throw, before or after a suspension.
(A try block in the function itself would clash with the user's own: cont
try blocks do not nest.)"""

from . import attrs, front, tree
from .front import K, RtacError, callee_name
from .tree import Node, Var, walk, strip, full_end, binop

PREFIX = 'rtac__'

# Expressions whose operands' awaits may all run first, left to right: C
# evaluates these operands unsequenced (or in that order), with no
# short-circuit. Anything else holding an await is refused.
_HOISTABLE = {K.CALL_EXPR, K.BINARY_OPERATOR, K.COMPOUND_ASSIGNMENT_OPERATOR, K.UNARY_OPERATOR,
              K.ARRAY_SUBSCRIPT_EXPR, K.MEMBER_REF_EXPR, K.CSTYLE_CAST_EXPR, K.PAREN_EXPR,
              K.INIT_LIST_EXPR, K.COMPOUND_LITERAL_EXPR}


# Return types an async2 function may have besides int64_t and void.
_TK = front.ci.TypeKind
_INT_KINDS = {_TK.BOOL, _TK.CHAR_U, _TK.UCHAR, _TK.USHORT, _TK.UINT, _TK.ULONG, _TK.ULONGLONG,
              _TK.CHAR_S, _TK.SCHAR, _TK.SHORT, _TK.INT, _TK.LONG, _TK.LONGLONG, _TK.ENUM}


def cont_name(name):
    return PREFIX + name


class Lowering:
    """Lowers one translation unit for the cont engine. async1.Lowering
    extends it: the hooks FR, ret_pieces, emit_await, spawn_subs and
    try_stmt are where the engines differ."""

    FR = 'F.'   # how the lowered body names a frame field: F.<field>

    def __init__(self, unit):
        self.u = unit
        self.subs = []      # (start, end, pieces) over the whole file

    # ---- entry -----------------------------------------------------------
    def run(self):
        u = self.u
        tops = [c for c in u.tu.cursor.get_children() if u.in_main(c)]
        last_include = 0
        for c in u.tu.cursor.get_children():
            if c.kind == K.INCLUSION_DIRECTIVE and u.in_main(c):
                last_include = max(last_include, c.extent.end.offset)
        # Prototypes of async functions declared only in headers, after the includes.
        declared_here = {c.spelling for c in tops if c.kind == K.FUNCTION_DECL}
        protos = []
        for name, decls in sorted(u.async_fns.items()):
            if name not in declared_here:
                protos.append(self.prototype(decls[0]) + ';')
        if protos:
            nl = u.src.find(b'\n', last_include)
            at = len(u.src) if nl < 0 else nl + 1
            self.subs.append((at, at, [('G', '\n'.join(protos) + '\n')]))
        for c in tops:
            if c.kind == K.FUNCTION_DECL and c.spelling in u.async_fns:
                self.check_sig(c)
                if c.is_definition():
                    self.lower_fn(c)
                else:
                    self.subs.append((self.decl_start(c), tree.full_end(u, tree.build(u, c))
                                      if False else self.proto_end(c),
                                      [('G', self.prototype(c) + ';')]))
            elif c.kind in (K.FUNCTION_DECL, K.VAR_DECL):
                root = tree.build(u, c)
                subs = []
                self.collect(root, subs, None, in_async=False)
                for s in subs:
                    self.subs.append(s)
        self.subs.sort(key=lambda s: (s[0], s[1]))
        pieces, pos = [], 0
        for a, b, p in self.subs:
            if a < pos:
                raise u.error(a, 'internal error: overlapping rewrites')
            pieces.append(('V', pos, a))
            pieces.extend(p)
            pos = b
        pieces.append(('V', pos, len(u.src)))
        return pieces

    # ---- signatures ------------------------------------------------------
    def check_sig(self, c):
        rt = c.result_type
        if rt.spelling not in ('int64_t', 'void') and rt.get_canonical().kind not in _INT_KINDS:
            raise self.u.error(c, "async2 function '%s' returns '%s': it must return void or an integer "
                               "type (int64_t, int, ssize_t, bool, an enum...)" % (c.spelling, rt.spelling))
        if c.type.is_function_variadic():
            raise self.u.error(c, "async2 function '%s' is variadic: not supported" % c.spelling)

    def params(self, c):
        out = []
        for i, p in enumerate(c.get_arguments()):
            out.append((p.spelling or 'rtac_p%d' % i, p.type.spelling, p))
        return out

    def prototype(self, c, with_names=True):
        static = c.storage_class == front.ci.StorageClass.STATIC
        ps = ''.join(', %s' % self.decl_text(t, n) for n, t, _ in self.params(c))
        return '%srta_cret %s(rta_cont *rta__k_%s)' % ('static ' if static else '', self.fn_name(c.spelling), ps)

    def local_only(self, name):
        """True when async function name has internal linkage and every
        declaration of it is in this file: nothing else can refer to it, so
        the lowered function may keep the user's name."""
        decls = self.u.async_fns[name]
        return all(self.u.in_main(d) for d in decls) and any(
            d.storage_class == front.ci.StorageClass.STATIC for d in decls)

    def fn_name(self, name):
        """The C name of lowered async function name: its own (gdb, perf and
        C-level frames show the user's name) unless another file may declare
        it with its async2 prototype; then rtac__name."""
        return name if self.local_only(name) else cont_name(name)

    @staticmethod
    def decl_text(typ, name):
        """A declaration of name with type spelling typ (any declarator form)."""
        if '(' in typ or '[' in typ:
            return '__typeof__(%s) %s' % (typ, name)
        sep = '' if typ.endswith('*') else ' '
        return typ + sep + name

    def decl_start(self, c):
        """Where a function's declaration begins, its markers included."""
        s = c.extent.start.offset
        for a in c.get_children():
            if a.kind == K.ANNOTATE_ATTR:
                s = min(s, a.extent.start.offset)
        # The markers are macros: their expansion sits at the macro's name.
        line_start = self.u.line_starts[self.u.line_of(s) - 1]
        head = self.u.src[line_start:s]
        for m in (b'RTA_ASYNC', b'RTA_BUILDER'):
            i = head.find(m)
            if i >= 0:
                s = min(s, line_start + i)
        return s

    def user_attrs(self, c):
        """(attributes, specifiers) the user wrote on async function c
        (attrs.py): '' or text ending in a space."""
        if getattr(self, '_attrs', None) is None:
            self._attrs = attrs.Attrs(self.u)
        return self._attrs.of(c, self.decl_start(c))

    def proto_end(self, c):
        i = self.u.skip_ws(c.extent.end.offset)
        if self.u.src[i:i + 1] == b';':
            return i + 1
        return c.extent.end.offset

    # ---- one function ----------------------------------------------------
    def begin_fn(self, c):
        """Parses and analyses async function c: (root, body) nodes."""
        self.fn = c
        self.void = c.result_type.spelling == 'void'
        # Other integer types: the value converts to the return type first
        # (as C's return does), then travels as int64_t, which holds any.
        self.ret_cast = None if c.result_type.spelling in ('int64_t', 'void') else c.result_type.spelling
        root = tree.build(self.u, c)
        body = [k for k in root.kids if k.kind == K.COMPOUND_STMT][-1]
        self.body = body
        self.temps = []        # (field, type)
        self.ntemp = 0
        self.nlabel = 0
        self.analyse(root, body)
        return root, body

    def frame_fields(self):
        """Declarations of the frame's fields: the parameters and locals live
        across an await, then the temporaries of hoisted awaits (known once
        the body is lowered)."""
        fields = []
        for v in self.vars:
            if v.hoisted:
                fields.append(self.decl_text(self.field_type(v), v.field) + ';')
        for f, t in self.temps:
            fields.append(self.decl_text(t, f) + ';')
        if self.heap:
            fields.append('%s *rtac_heap;' % self.locals_type(self.fn))
        return fields

    def lower_fn(self, c):
        u = self.u
        root, body = self.begin_fn(c)
        ps = self.params(c)
        static = c.storage_class == front.ci.StorageClass.STATIC
        name = self.fn_name(c.spelling)
        zeros = ''.join(', (%s){0}' % t for _, t, _ in ps)
        head = []
        head.append('%s;' % self.prototype(c))
        proto = self.prototype(c)
        wrapper = name
        if self.heap:
            # The user's code runs in <name>__body, which the wrapper <name>
            # (what callers call) awaits with the heap block as its first argument.
            head.insert(0, self.locals_struct(c))
            name = wrapper + '__body'
            zeros = ', (%s *){0}' % self.locals_type(c) + zeros
            proto = 'static rta_cret %s(rta_cont *rta__k_, %s *rtac_heap%s)' % (
                name, self.locals_type(c), ''.join(', %s' % self.decl_text(t, n) for n, t, _ in ps))
            head.append('%s;' % proto)
            static = True
        head.append('__attribute__((noinline, unused)) static rta_cret rta__cr_%s(rta_cont *k_) '
                    '{ return %s(k_%s); }' % (name, name, zeros))
        # The user's attributes go on the function holding the user's code;
        # not inline: a cont function is never inlined (RTA__CONT_FN_ATTRS).
        head.append('RTA__CONT_NO_CLOBBERED RTA__CONT_FN_ATTRS %s%s' % (self.user_attrs(c)[0], proto))
        body_pieces = self.lower_compound(body, None, fn_body=True)
        fields = self.frame_fields()
        if not fields:
            fields.append('char rtac_none;')   # {0} needs a field to initialise
        frame = ('RTA__CONT_FRAME_AS(rta__cr_%s, "%s"%s);' %
                 (name, c.spelling, (', ' + ' '.join(fields)) if fields else ''))
        copies = ''.join(' F.%s = %s;' % (v.field, v.name) for v in self.vars if v.param and v.hoisted)
        if self.heap:
            copies += ' F.rtac_heap = rtac_heap;' + ''.join(
                ' %s = %s;' % (self.place(v), v.name) for v in self.vars if v.param and v.heap)
        # body_pieces starts with V of "{": put the frame right after it.
        first = body_pieces[0]
        assert first[0] == 'V'
        out = [('G', '\n'.join(head) + '\n'), ('V', body.s, body.s + 1),
               ('G', ' ' + (self.cfg_text + ' ' if self.cfg_stmt is not None else '') + frame + copies +
                ' __attribute__((unused)) int64_t rtac_discard;'),
               ('V', body.s + 1, first[2])] + body_pieces[1:]
        # Falling off the end returns 0 (void functions; int64_t ones are UB in C anyway).
        last = out.pop()
        assert last[0] == 'V' and u.src[last[2] - 1:last[2]] == b'}'
        out.append(('V', last[1], last[2] - 1))
        out.append(('G', 'RTA_CONT_RETURN(0); '))
        out.append(('V', last[2] - 1, last[2]))
        if any(p[0] == 'K' for p in out):
            # Each await's live set (all temporaries are known now), then
            # the default again for whatever follows the function.
            out = [('G', self.live_text(p[1], p[2], p[3])) if p[0] == 'K' else p for p in out]
            out.append(('G', self.LIVE_DEFAULT))
        if self.heap:
            out.append(('G', self.heap_wrapper(c, wrapper, name, ps)))
        self.subs.append((self.decl_start(c), root.e, out))

    def heap_wrapper(self, c, wrapper, body, ps):
        """The cont function callers call when c keeps locals in a heap block:
        allocates the block, awaits body with it and frees it whichever way
        body ends (RTA_CONT_FINALLY runs on return, throw and cancellation,
        also after suspensions, and rethrows)."""
        static = c.storage_class == front.ci.StorageClass.STATIC
        proto = self.prototype(c)
        zeros = ''.join(', (%s){0}' % t for _, t, _ in ps)
        args = ''.join(', ' + n for n, _, _ in ps)
        return ('\n__attribute__((noinline, unused)) static rta_cret rta__cr_%s(rta_cont *k_) '
                '{ return %s(k_%s); }\n'
                'RTA__CONT_NO_CLOBBERED RTA__CONT_FN_ATTRS %s\n'
                '{ RTA__CONT_FRAME_AS(rta__cr_%s, "%s (locals)", %s *rtac_heap; int64_t rtac_r;);\n'
                '    F.rtac_heap = rta__async2_locals_new(sizeof *F.rtac_heap, "%s");\n'
                '    RTA_CONT_TRY { RTA_CONT_CALL(F.rtac_r, %s, F.rtac_heap%s); }\n'
                '    RTA_CONT_FINALLY { rta__async2_locals_free(F.rtac_heap); } RTA_CONT_END_TRY;\n'
                '    RTA_CONT_RETURN(F.rtac_r); }\n'
                % (wrapper, wrapper, zeros, proto if static else proto, wrapper, c.spelling,
                   self.locals_type(c), c.spelling, body, args))

    def place(self, v):
        """How the lowered body names variable v (one in F or the heap block)."""
        if v.heap:
            return self.FR + 'rtac_heap->' + v.hfield
        return self.FR + v.field

    def locals_type(self, c):
        """The C name of c's heap block type (its address-taken locals)."""
        return self.fn_name(c.spelling) + '__locals'

    def locals_struct(self, c):
        """typedef of c's heap block, or '' when it has none."""
        hv = [v for v in self.vars if v.heap]
        if not hv:
            return ''
        return 'typedef struct { %s } %s;' % (' '.join(self.decl_text(self.field_type(v), v.hfield) + ';'
                                                       for v in hv), self.locals_type(c))

    def field_type(self, v):
        t = v.c.type
        s = t.spelling
        if t.is_const_qualified():
            if s.startswith('const '):
                s = s[len('const '):]
            elif s.endswith(' const'):
                s = s[:-len(' const')]
        decl = t.get_declaration()
        if decl is not None and decl.kind != K.NO_DECL_FOUND and decl.location.file is not None:
            off = decl.extent.start.offset
            if self.u.in_main(decl) and self.body.s <= off < self.body.e:
                raise self.u.error(v.decl, "'%s' lives across an await and its type is declared inside "
                                   "the async function: declare the type at file scope" % v.name)
        if 'unnamed at' in s or 'anonymous at' in s:
            raise self.u.error(v.decl, "'%s' lives across an await and has an unnamed type: name it "
                               "with a typedef" % v.name)
        return s

    # ---- analysis --------------------------------------------------------
    def analyse(self, root, body):
        u = self.u
        self.vars = []
        byk = {}

        def key(cur):
            return (cur.spelling, cur.location.offset)

        for p in root.kids:
            if p.kind == K.PARM_DECL:
                v = Var(p.c.spelling, p.c, body.s, body.e, True)
                self.vars.append(v)
                byk[key(p.c)] = v
        self.awaits = []
        self.loops = []
        labels = {}

        def scan(n, scope_end):
            if n.kind == K.CALL_EXPR:
                name = callee_name(n.c)
                if name in u.async_fns:
                    n.is_await = True
                    n.callee = name
                elif name in front.RUNTIME_CALLEES:
                    w = front.written_name(u, n.s)
                    if w not in front.RUNTIME_AWAITS:
                        raise u.error(n.s, "'%s' awaits through '%s', a macro rtac does not know: call "
                                      "%s directly" % (w, name, name))
                    n.is_await = True
                    n.callee = w
            if n.kind == K.VAR_DECL and n.c.storage_class not in (front.ci.StorageClass.STATIC,
                                                                  front.ci.StorageClass.EXTERN):
                se = scope_end
                v = Var(n.c.spelling, n.c, n.s, se, False)
                # rta__*: declared by a runtime macro (RTA_TRY's record),
                # which the lowerings replace: never a heap local.
                v.macro = n.macro or n.c.spelling.startswith('rta__')
                n.var = v
                self.vars.append(v)
                byk[key(n.c)] = v
            if n.kind == K.DECL_REF_EXPR and n.c.referenced is not None:
                v = byk.get(key(n.c.referenced))
                if v is not None:
                    n.ref = v
            if n.kind in tree.LOOPS:
                self.loops.append(n)
            if n.kind == K.LABEL_STMT:
                labels[n.c.spelling] = n.s
            if n.kind == K.COMPOUND_STMT:
                se = n.e
            elif n.kind == K.FOR_STMT:
                se = n.e
            else:
                se = scope_end
            unevaluated = n.kind == K.CXX_UNARY_EXPR   # sizeof / _Alignof
            for k in n.kids:
                scan(k, se)
                if not unevaluated:
                    n.has_await |= k.has_await
                n.has_ret |= k.has_ret
            if n.is_await:
                n.has_await = True
                self.awaits.append(n)
            if n.kind == K.RETURN_STMT:
                n.has_ret = True

        scan(body, body.e)
        # Loop regions: loops, and backward gotos (label .. goto).
        regions = []
        for L in self.loops:
            start = L.s
            if L.kind == K.FOR_STMT and self.u.src[L.s:L.s + 3] == b'for':
                parts = self.for_parts(L)
                if parts[0] is not None:
                    start = tree.full_end(u, parts[0]) if parts[0].kind != K.DECL_STMT else parts[0].e
            regions.append((start, L.e))
        for n in walk(body):
            if n.kind == K.GOTO_STMT:
                for k in n.kids:
                    if k.kind == K.LABEL_REF and k.c.spelling in labels and labels[k.c.spelling] < n.s:
                        regions.append((labels[k.c.spelling], n.e))
            elif n.kind == K.INDIRECT_GOTO_STMT:
                # `goto *p`: any label before it may be the target.
                for off in labels.values():
                    if off < n.s:
                        regions.append((off, n.e))
        self.regions = regions
        # Uses and address-taking.
        for n in walk(body):
            if n.ref is not None:
                off = front.spelling_offset(n.c.extent.start)
                n.ref.refs.append(off)
                if not getattr(n.ref, 'macro', False) and self.addr_taken(n):
                    n.ref.addr.append(off)
        # Await anchors: the start of the innermost statement holding each await.
        anchors = []
        stops = {K.COMPOUND_STMT, K.CASE_STMT, K.DEFAULT_STMT, K.LABEL_STMT, K.IF_STMT, K.WHILE_STMT,
                 K.FOR_STMT, K.DO_STMT, K.SWITCH_STMT}
        for a in self.awaits:
            p = a
            while p.parent is not None and p.parent.kind not in stops:
                p = p.parent
            q = p.parent
            anchor = p.s
            if q is not None and q.kind in stops and q.kind not in (K.COMPOUND_STMT, K.CASE_STMT,
                                                                     K.DEFAULT_STMT, K.LABEL_STMT):
                bodies = q.kids[1:] if q.kind == K.IF_STMT else (q.kids[:1] if q.kind == K.DO_STMT
                                                                 else q.kids[-1:])
                if all(p is not b for b in bodies):
                    anchor = q.s
            anchors.append((a, anchor, front.spelling_offset(a.c.extent.start)))
        self.find_cfg_fn(body)
        seen, hseen = {}, {}
        for v in self.vars:
            # The awaits v lives across (its value is read after the await
            # resumes): each await saves and restores only those (cont's
            # RTA__CONT_LIVE), so the analysis below is per (v, await).
            v.live_at = set()
            if self.cfg_stmt is not None and v.decl == self.cfg_var.decl:
                continue  # RTA_CONFIGURE_AWAIT_FN's flag: a C local of every entry
            for a, anchor, aoff in anchors:
                if not (v.decl < aoff < v.scope_end):
                    continue
                # `T v = A;` / `v = A;`: A writes v as it resumes, so v's value
                # before A is dead there (fib's b needs no frame slot), unless
                # A sits in a try body: an error delivered there skips the
                # write, and the handler may read v's value from before A.
                # A's own arguments are read before it can suspend
                # (chain(d - 1)). Nothing after a block that ends in `return`
                # is reached from an await inside it (`if (d > 1) { ...
                # return v + 1; }`). The anchor itself counts: the rest of
                # the statement runs after A resumes, and `p->x = A;` or
                # `v[i] = A;` reads p or v, which start it, to store A's value.
                limit = self.reach_end(a)
                live = (self.await_dst(a) is not v or self.in_try(a)) and \
                    any(anchor <= r < limit and not a.s <= r < a.e for r in v.refs)
                if not live:
                    for rs, re in regions:
                        if rs <= aoff < re and v.decl < rs and any(rs <= r < re for r in v.refs):
                            live = True
                            break
                # A pointer made before the await ends (also one passed to
                # it: put(&x) writes x after suspending) or in a loop holding it.
                addr_live = any(p < a.e or any(rs <= p < re and rs <= aoff < re for rs, re in regions)
                                for p in v.addr)
                if addr_live:
                    if v.c.type.kind in (front.ci.TypeKind.VARIABLEARRAY, front.ci.TypeKind.DEPENDENTSIZEDARRAY):
                        raise u.error(min(v.addr), "the address of variable-length array '%s' (declared at "
                                      "line %d) is taken here and the await at line %d can suspend while "
                                      "it is in use: rtac keeps such locals in heap storage of a fixed "
                                      "size; allocate it (malloc) instead"
                                      % (v.name, u.line_of(v.decl), u.line_of(aoff)))
                    v.heap = True
                if live:
                    v.hoisted = True
                    v.live_at.add(a)
            if v.heap:
                # The pointers must stay valid: the heap block, not the frame.
                v.hoisted = False
                n = hseen.get(v.name, 0)
                hseen[v.name] = n + 1
                if n:
                    v.hfield = '%s_%d' % (v.name, n + 1)
            if v.hoisted:
                n = seen.get(v.name, 0)
                seen[v.name] = n + 1
                if n:
                    v.field = '%s_%d' % (v.name, n + 1)
        self.heap = any(v.heap for v in self.vars)

    def find_cfg_fn(self, body):
        """RTA_CONFIGURE_AWAIT_FN(b), the function's configure-await: a const
        local rta__configure_await that the lowered awaits read by name
        (rta/context.h). Kept in the frame, it would be out of their sight
        (they would read the file's flag); kept where it was, a resumption
        would jump past its initialisation. So it leaves the body and is
        declared again at every entry, before the frame (cont) or the
        move-next's dispatch (async1), where the hand-lowered forms put it
        (rta/cont.h, rta/async1.h). Sets cfg_stmt (None without one),
        cfg_var and cfg_text."""
        u = self.u
        self.cfg_stmt = self.cfg_var = self.cfg_text = None
        first = body.kids[0] if body.kids else None
        if first is not None and first.kind == K.DECL_STMT:
            vs = [k for k in first.kids if k.kind == K.VAR_DECL]
            if len(vs) == 1 and vs[0].c.spelling == front._CFG:
                self.cfg_stmt = first
                self.cfg_var = vs[0].var
                self.cfg_text = u.src[first.s:full_end(u, first)].decode()
        for v in self.vars:
            if v.name == front._CFG and (self.cfg_var is None or v.decl != self.cfg_var.decl):
                raise u.error(v.decl, "RTA_CONFIGURE_AWAIT_FN must be the first statement of an async2 "
                              "function (its flag is set before any code of the function runs)")

    def in_try(self, a):
        """Whether await a lies in an RTA_TRY block of this function (its
        body: rtac refuses awaits in handlers)."""
        p = a.parent
        while p is not None:
            if p.kind == K.DO_STMT and self.u.src[p.s:].startswith(b'RTA_TRY'):
                return True
            p = p.parent
        return False

    def reach_end(self, a):
        """An offset past which no code runs after await a resumes: the end
        of the innermost block holding a whose last statement is a return
        and which nothing leaves otherwise (no goto, break or continue in
        it); else the end of the function."""
        p = a.parent
        while p is not None:
            if p.kind == K.COMPOUND_STMT and p.kids and p.kids[-1].kind == K.RETURN_STMT \
                    and not any(x.kind in (K.GOTO_STMT, K.BREAK_STMT, K.CONTINUE_STMT, K.INDIRECT_GOTO_STMT)
                                for x in walk(p)):
                return p.e
            p = p.parent
        return self.body.e + 1

    def await_dst(self, a):
        """The variable await a initialises (`T v = a;`) or is assigned to as
        a statement (`v = a;`), else None."""
        p = a.parent
        while p is not None and p.kind in (K.UNEXPOSED_EXPR, K.PAREN_EXPR) and len(p.kids) == 1:
            p = p.parent
        if p is None:
            return None
        if p.kind == K.VAR_DECL:
            return p.var
        if p.kind == K.BINARY_OPERATOR and len(p.kids) == 2 and binop(self.u, p) == '=' \
                and p.parent is not None and p.parent.kind in (K.COMPOUND_STMT, K.CASE_STMT, K.DEFAULT_STMT,
                                                               K.LABEL_STMT) \
                and strip(p.kids[1]).is_await and strip(p.kids[1]) is strip(a) and strip(p.kids[0]).ref is not None:
            return strip(p.kids[0]).ref
        return None

    @staticmethod
    def addr_taken(n):
        """Whether reference n to a local yields a pointer into the local's
        storage: `&v`, `&v.m`, `&v[i]` (v an array), or an array (or array
        member) decaying to a pointer (`f(buf)`, `p = s.arr`). Not `&v->m`
        nor `&v[i]` through a pointer v (the storage pointed at, not v's).
        `&` is told from other unary operators by types (its result points
        to its operand's type), so one inside a macro counts too."""
        tk = front.ci.TypeKind
        arrays = (tk.CONSTANTARRAY, tk.INCOMPLETEARRAY, tk.VARIABLEARRAY, tk.DEPENDENTSIZEDARRAY)
        cur = n
        while cur.parent is not None:
            p = cur.parent
            t = cur.c.type.get_canonical()
            if p.kind == K.PAREN_EXPR:
                cur = p
            elif p.kind == K.MEMBER_REF_EXPR and p.kids and p.kids[0] is cur:
                if t.kind == tk.POINTER:
                    return False
                cur = p
            elif p.kind == K.UNEXPOSED_EXPR and len(p.kids) == 1:
                if t.kind not in arrays:
                    return False          # a value read, or a conversion of it
                pp = p.parent
                if pp is not None and pp.kind == K.ARRAY_SUBSCRIPT_EXPR and pp.kids and pp.kids[0] is p:
                    cur = pp              # v[i]: an element of v itself
                else:
                    return True           # decays to a pointer into v
            elif p.kind == K.ARRAY_SUBSCRIPT_EXPR and p.kids and p.kids[0] is cur and t.kind in arrays:
                cur = p
            elif p.kind == K.UNARY_OPERATOR:
                r = p.c.type.get_canonical()
                return r.kind == tk.POINTER and r.get_pointee().get_canonical() == t
            else:
                return False
        return False

    def for_parts(self, n):
        """(init, cond, inc, body) of a FOR_STMT (None where absent)."""
        u = self.u
        i = u.skip_ws(n.s + 3)
        close = u.match_paren(i)
        semis, depth, j = [], 0, i + 1
        while j < close - 1 and len(semis) < 2:
            ch = u.src[j:j + 1]
            if ch in (b'(', b'[', b'{'):
                depth += 1
            elif ch in (b')', b']', b'}'):
                depth -= 1
            elif ch == b';' and depth == 0:
                semis.append(j)
            elif ch in (b'"', b"'"):
                k = j + 1
                while u.src[k:k + 1] != ch:
                    k += 2 if u.src[k:k + 1] == b'\\' else 1
                j = k
            j += 1
        if len(semis) < 2:
            raise u.error(n.s, 'rtac cannot read this for statement')
        init = cond = inc = None
        body = n.kids[-1]
        for k in n.kids[:-1]:
            if k.s < semis[0]:
                init = k
            elif k.s < semis[1]:
                cond = k
            else:
                inc = k
        return init, cond, inc, body, close

    # ---- renames and other rewrites inside unchanged text ---------------
    def collect(self, n, subs, ctx, in_async=True):
        """Substitutions inside subtree n (kept as text): frame variables,
        rta_spawn of async functions, `continue` of a loop lowered with a
        label (ctx), references to async functions (refused)."""
        u = self.u
        spawner = callee_name(n.c) if n.kind == K.CALL_EXPR else None
        # rta_spawn(f, arg), rta_group_spawn(g, f, arg): f is the argument at fi.
        fi = {'rta_spawn': 1, 'rta_group_spawn': 2}.get(spawner)
        if fi is not None and len(n.kids) > fi:
            fn = strip(n.kids[fi])
            if fn.kind == K.DECL_REF_EXPR and fn.c.spelling in u.async_fns \
                    and fn.c.referenced is not None and fn.c.referenced.kind == K.FUNCTION_DECL:
                if u.src[front.spelling_offset(fn.c.extent.start):].startswith(fn.c.spelling.encode()) is False:
                    raise u.error(n.s, "%s of async function '%s' inside a macro" % (spawner, fn.c.spelling))
                self.check_spawnable(fn)
                self.spawn_subs(n, fn, subs, spawner)
                for k in n.kids[1:fi] + n.kids[fi + 1:]:
                    self.collect(k, subs, ctx, in_async)
                return
        if n.kind == K.DECL_REF_EXPR:
            r = n.c.referenced
            if r is not None and r.kind == K.FUNCTION_DECL and r.spelling in u.async_fns:
                if in_async:
                    msg = "'%s' is an async2 function: call it (an await) or start it with rta_spawn" % r.spelling
                else:
                    msg = ("'%s' is an async2 function: only RTA_ASYNC functions call it; start it with "
                           "rta_spawn" % r.spelling)
                raise u.error(front.spelling_offset(n.c.extent.start), msg)
            if n.ref is not None and (n.ref.hoisted or n.ref.heap):
                off = front.spelling_offset(n.c.extent.start)
                name = n.ref.name.encode()
                if u.src[off:off + len(name)] != name:
                    raise u.error(n.s, "'%s' lives across an await and is used inside the body of a macro: "
                                  "pass it to the macro as an argument" % n.ref.name)
                subs.append((off, off + len(name), [('G', self.place(n.ref))]))
            return
        if n.kind == K.CONTINUE_STMT and ctx is not None:
            if n.macro:
                raise u.error(n.s, "'continue' inside a macro in a loop rtac rewrites")
            subs.append((n.s, full_end(u, n), [('G', 'goto %s;' % ctx)]))
            return
        if n.kind in (K.RETURN_STMT,) and in_async:
            raise u.error(n.s, 'internal error: return left unlowered')
        inner = None if n.kind in tree.LOOPS else ctx
        for k in n.kids:
            self.collect(k, subs, inner, in_async)

    def spawn_subs(self, n, fn, subs, spawner='rta_spawn'):
        """rta_spawn(f, arg) of an async function f: rta_cont_spawn(rtac__f, arg);
        rta_group_spawn(g, f, arg): rta__group_spawn_cont(g, rtac__f, arg)."""
        callee = front.spelling_offset(strip(n.kids[0]).c.extent.start)
        repl = 'rta_cont_spawn' if spawner == 'rta_spawn' else 'rta__group_spawn_cont'
        subs.append((callee, callee + len(spawner), [('G', repl)]))
        fo = front.spelling_offset(fn.c.extent.start)
        subs.append((fo, fo + len(fn.c.spelling), [('G', self.fn_name(fn.c.spelling))]))

    def check_spawnable(self, fn):
        d = self.u.async_fns[fn.c.spelling][0]
        args = list(d.get_arguments())
        if d.result_type.spelling != 'int64_t' or len(args) != 1 or args[0].type.spelling != 'void *':
            raise self.u.error(fn.s, "rta_spawn needs an async2 function 'int64_t %s(void *)'" % fn.c.spelling)

    def render(self, n, a=None, b=None, ctx=None, extra=()):
        """Pieces for source range a..b (default: n's extent) with the
        substitutions of n's subtree (and of `extra` subtrees)."""
        a = n.s if a is None else a
        b = n.e if b is None else b
        subs = []
        self.collect(n, subs, ctx)
        for x in extra:
            if x is not None:
                self.collect(x, subs, ctx)
        subs.sort(key=lambda s: s[0])
        out, pos = [], a
        for s, e, p in subs:
            if s < pos or e > b:
                continue
            out.append(('V', pos, s))
            out.extend(p)
            pos = e
        out.append(('V', pos, b))
        return out

    # ---- statements ------------------------------------------------------
    def needs(self, n):
        return n.has_await or n.has_ret or any(k.var is not None and (k.var.hoisted or k.var.heap)
                                               for k in walk(n))

    def stmt(self, n, ctx):
        """Pieces replacing statement n over n.s .. full_end(n). Notes where
        the temporaries of n's own expressions start (tmark, live_text)."""
        saved, self.tmark = getattr(self, 'tmark', 0), len(self.temps)
        try:
            return self.stmt_(n, ctx)
        finally:
            self.tmark = saved

    def stmt_(self, n, ctx):
        u = self.u
        if n is self.cfg_stmt:
            return []  # declared in the prologue (find_cfg_fn)
        end = full_end(u, n)
        if not self.needs(n):
            return self.render(n, n.s, end, ctx)
        k = n.kind
        if k == K.DO_STMT and u.src[n.s:].startswith(b'RTA_TRY'):
            return self.try_stmt(n, ctx)
        if n.macro and not (strip(n).is_await and strip(n).callee in front.RUNTIME_AWAITS):
            what = 'an await' if n.has_await else ('a return' if n.has_ret else 'a variable that lives across an await')
            raise u.error(n.s, 'rtac cannot lower %s inside a macro expansion in an async2 function: '
                          'write it outside the macro' % what)
        line = ('L', u.line_of(n.s))
        if k == K.COMPOUND_STMT:
            return self.lower_compound(n, ctx)
        if k == K.DECL_STMT:
            return [line] + self.decl(n)
        if k == K.RETURN_STMT:
            if not n.kids:
                return [line] + self.ret_pieces(None)
            si = strip(n.kids[0])
            if si.is_await and self.await_value(si) and not self.void:
                # `return await;`: the value lives from the resume to the
                # return only, in a C local, not a frame temporary.
                t = si.c.type.spelling if si.callee in self.u.async_fns else 'int64_t'
                e = [('G', 'rtac_ret')]
                if self.ret_cast:
                    e = [('G', '(%s)(rtac_ret)' % self.ret_cast)]
                return [line, ('G', '{ %s; ' % self.decl_text(t, 'rtac_ret'))] + self.await_call(si, 'rtac_ret') + \
                    [('G', ' ')] + self.ret_pieces(e) + [('G', ' }')]
            pre, e = self.expr(n.kids[0])
            if self.void:
                return [line] + pre + ([('G', '(void)(')] + e + [('G', '); ')] if e else []) + \
                    self.ret_pieces(None)
            if self.ret_cast:
                e = [('G', '(%s)(' % self.ret_cast)] + e + [('G', ')')]
            return [line] + pre + self.ret_pieces(e)
        if k == K.IF_STMT:
            cond, then = n.kids[0], n.kids[1]
            els = n.kids[2] if len(n.kids) > 2 else None
            pre, e = self.expr(cond)
            out = [line] + pre + [('V', n.s, cond.s)] + e + [('V', cond.e, then.s)] + self.branch(then, ctx)
            if els is not None:
                out += [('V', full_end(u, then), els.s)] + self.branch(els, ctx)
            return out
        if k == K.WHILE_STMT:
            cond, body = n.kids[0], n.kids[-1]
            if not cond.has_await:
                return [line, ('V', n.s, cond.s)] + self.render(cond) + [('V', cond.e, body.s)] + \
                    self.branch(body, None)
            pre, e = self.expr(cond)
            return [line, ('G', 'for (;;) { ')] + pre + [('G', 'if (!(')] + e + [('G', ')) break; ')] + \
                self.branch(body, None) + [('G', ' }')]
        if k == K.DO_STMT:
            body, cond = n.kids[0], n.kids[-1]
            if not cond.has_await:
                return [line, ('V', n.s, body.s)] + self.branch(body, None) + \
                    [('V', full_end(u, body), cond.s)] + self.render(cond) + [('V', cond.e, end)]
            lab = self.label()
            pre, e = self.expr(cond)
            return [line, ('G', 'for (;;) { ')] + self.branch(body, lab) + \
                [('G', ' %s: __attribute__((unused));' % lab), ('L', u.line_of(cond.s))] + pre + \
                [('G', ' if (!(')] + e + [('G', ')) break; }')]
        if k == K.FOR_STMT:
            init, cond, inc, body, close = self.for_parts(n)
            hdr_await = (cond is not None and cond.has_await) or (inc is not None and inc.has_await)
            init_needs = init is not None and self.needs(init)
            if not hdr_await and not init_needs:
                return [line] + self.render_range(n.s, close, [init, cond, inc]) + [('V', close, body.s)] + \
                    self.branch(body, None)
            out = [line, ('G', '{ ')]
            if init is not None:
                out += self.init_stmt(init)
            if not hdr_await:
                out += [('G', ' for (; ')] + (self.render(cond) if cond else []) + [('G', '; ')] + \
                    (self.render(inc) if inc else []) + [('G', ') ')] + self.branch(body, None) + [('G', ' }')]
                return out
            lab = self.label()
            out += [('G', ' for (;;) { ')]
            if cond is not None:
                pre, e = self.expr(cond)
                out += pre + [('G', 'if (!(')] + e + [('G', ')) break; ')]
            out += self.branch(body, lab) + [('G', ' %s: __attribute__((unused));' % lab)]
            if inc is not None:
                pre, e = self.expr(inc)
                out += [('L', u.line_of(inc.s))] + pre + ([('G', ' ')] + e + [('G', ';')] if e else [])
            return out + [('G', ' } }')]
        if k == K.SWITCH_STMT:
            cond, body = n.kids[0], n.kids[-1]
            pre, e = self.expr(cond)
            return [line] + pre + [('V', n.s, cond.s)] + e + [('V', cond.e, body.s)] + self.branch(body, ctx)
        if k in (K.CASE_STMT, K.DEFAULT_STMT, K.LABEL_STMT):
            sub = n.kids[-1]
            head = self.render_range(n.s, sub.s, n.kids[:-1]) if k == K.CASE_STMT else [('V', n.s, sub.s)]
            return head + self.stmt(sub, ctx)
        if k.is_expression():
            pre, e = self.expr(n, stmt=True)
            return [line] + pre + ([('G', ' ')] + e + [('G', ';')] if e else [])
        raise u.error(n.s, 'rtac cannot lower this statement (%s) in an async2 function'
                      % k.name.lower())

    def try_stmt(self, n, ctx):
        """RTA_TRY { ... } RTA_CATCH(e) / RTA_FINALLY { ... } RTA_END_TRY; holding
        an await (or a frame variable): the same block with the cont engine's
        handler macros, whose records survive a suspension. The macros'
        expansion (rta.h) is read back from the AST: a do { ... } whose first
        if holds the user's body block and whose second if holds the
        handler's block."""
        u = self.u
        catch, body, hs, handler, es, end = self.read_try(n, nest=False)
        kw = b'RTA_CATCH' if catch else b'RTA_FINALLY'
        out = [('L', u.line_of(n.s)), ('G', 'RTA_CONT_TRY'), ('V', n.s + len('RTA_TRY'), body.s)]
        out += self.stmt(body, ctx)
        out += [('V', body.e, hs), ('G', 'RTA_CONT_' + kw.decode()[4:]), ('V', hs + len(kw), handler.s)]
        out += self.stmt(handler, ctx)
        out += [('V', handler.e, es), ('G', 'RTA_CONT_END_TRY'), ('V', es + len('RTA_END_TRY'), end)]
        return out

    def read_try(self, n, nest):
        """The parts of an RTA_TRY statement n: (catch, body, handler_kw_start,
        handler, end_try_start, end) where catch says RTA_CATCH (else
        RTA_FINALLY). Refuses what no engine lowers (await in a handler) and,
        unless nest, an inner RTA_TRY holding an await."""
        u = self.u
        end = full_end(u, n)

        def fail(msg):
            raise u.error(n.s, msg)

        try:
            inner = n.kids[0]
            ifs = [k for k in inner.kids if k.kind == K.IF_STMT]
            body = ifs[0].kids[1].kids[0]
            h_if = ifs[1]
            hs = h_if.s
            catch = u.src[hs:].startswith(b'RTA_CATCH')
            if not catch and not u.src[hs:].startswith(b'RTA_FINALLY'):
                fail('rtac cannot read this RTA_TRY block (RTA_CATCH or RTA_FINALLY expected)')
            handler = h_if.kids[1].kids[-1] if catch else h_if.kids[1]
            ends = [k for k in inner.kids if k.kind == K.CALL_EXPR and u.src[k.s:].startswith(b'RTA_END_TRY')]
            es = ends[-1].s
        except (IndexError, AttributeError):
            fail('rtac cannot read this RTA_TRY block: write RTA_TRY { ... } RTA_CATCH(e) { ... } RTA_END_TRY;')
        for blk, what in ((body, 'RTA_TRY'), (handler, 'RTA_CATCH' if catch else 'RTA_FINALLY')):
            if blk.kind != K.COMPOUND_STMT or u.src[blk.s:blk.s + 1] != b'{':
                fail('rtac needs a { block } after %s in an async2 function' % what)
        for x in walk(body) if not nest else ():
            if x is not n and x.kind == K.DO_STMT and u.src[x.s:].startswith(b'RTA_TRY') and self.needs(x):
                raise u.error(x.s, 'an RTA_TRY holding an await inside another one in the same async2 '
                              'function: the cont engine does not nest them; move the inner one into '
                              'its own RTA_ASYNC function')
        for x in walk(handler):
            if x.is_await:
                raise u.error(x.s, "an await inside %s: awaiting in a handler is an invalid program "
                              "(the spec's EH rule)" % ('RTA_CATCH' if catch else 'RTA_FINALLY'))
        return catch, body, hs, handler, es, end

    def render_range(self, a, b, nodes):
        subs = []
        for x in nodes:
            if x is not None:
                self.collect(x, subs, None)
        subs.sort(key=lambda s: s[0])
        out, pos = [], a
        for s, e, p in subs:
            if s < pos or e > b:
                continue
            out.append(('V', pos, s))
            out.extend(p)
            pos = e
        out.append(('V', pos, b))
        return out

    def init_stmt(self, init):
        if init.kind == K.DECL_STMT:
            return self.decl(init)
        pre, e = self.expr(init, stmt=True)
        return pre + ([('G', ' ')] + e + [('G', ';')] if e else [])

    def branch(self, n, ctx):
        """A sub-statement of if/while/for/do: braced when it becomes several."""
        if n.kind == K.COMPOUND_STMT or not self.needs(n):
            return self.stmt(n, ctx)
        return [('G', '{ ')] + self.stmt(n, ctx) + [('G', ' }')]

    def label(self):
        self.nlabel += 1
        return 'rtac_continue_%d' % self.nlabel

    def lower_compound(self, n, ctx, fn_body=False):
        u = self.u
        if not fn_body and not self.needs(n):
            return self.render(n, ctx=ctx)
        out, pos = [], n.s
        for k in n.kids:
            out.append(('V', pos, k.s))
            out += self.stmt(k, ctx)
            pos = full_end(u, k)
        out.append(('V', pos, n.e))
        return out

    def decl(self, n):
        u = self.u
        vs = [k for k in n.kids if k.kind == K.VAR_DECL]
        hoisted = [k for k in vs if k.var is not None and (k.var.hoisted or k.var.heap)]
        if hoisted and len(vs) > 1:
            # Split: one statement per declarator, in order.
            out = []
            for v in vs:
                if v.var is not None and (v.var.hoisted or v.var.heap):
                    out += self.hoisted_decl(v)
                else:
                    init = self.init_of(v)
                    typ = v.c.type.spelling
                    if init is None:
                        out.append(('G', self.decl_text(typ, v.c.spelling) + '; '))
                    else:
                        pre, e = self.expr(init)
                        out += pre + [('G', self.decl_text(typ, v.c.spelling) + ' = ')] + e + [('G', '; ')]
            return out
        if not hoisted and len(vs) == 1 and self.direct_init(vs[0]):
            # `T v = await;`: declared, then written by the await as it
            # resumes (no frame temporary; the resume jumps past the
            # declaration, which has no initialiser).
            v = vs[0]
            return [('G', self.decl_text(v.c.type.spelling, v.c.spelling) + '; ')] + \
                self.await_call(strip(self.init_of(v)), v.c.spelling)
        if not hoisted:
            # Plain locals: evaluate the awaits of the initialisers first.
            pre, subs = [], []
            for v in vs:
                init = self.init_of(v)
                if init is not None and init.has_await:
                    p, e = self.expr(init)
                    pre += p
                    subs.append((init.s, init.e, e))
            if not subs:
                return pre + self.render(n)
            res, pos = list(pre), n.s
            for s, e, p in sorted(subs, key=lambda x: x[0]):
                res += self.render_range(pos, s, vs)
                res += p
                pos = e
            res += self.render_range(pos, n.e, vs)
            return res
        return self.hoisted_decl(hoisted[0])

    def direct_init(self, v):
        """Whether declaration v is `T v = await;` that the await may write
        directly: a value await, a type that can be assigned."""
        init = self.init_of(v)
        if init is None or v.var is None:
            return False
        si = strip(init)
        t = v.c.type
        return si.is_await and self.await_value(si) and not t.is_const_qualified() and \
            t.get_canonical().kind not in (front.ci.TypeKind.CONSTANTARRAY, front.ci.TypeKind.INCOMPLETEARRAY,
                                           front.ci.TypeKind.VARIABLEARRAY) and not v.macro

    def hoisted_decl(self, v):
        init = self.init_of(v)
        if init is None:
            return [('G', ';')]
        dst = self.place(v.var)
        si = strip(init)
        if si.is_await and self.await_value(si):
            return self.await_call(si, dst)
        pre, e = self.expr(init)
        t = v.c.type.kind
        if init.kind == K.INIT_LIST_EXPR or (t in (front.ci.TypeKind.CONSTANTARRAY,) and
                                             strip(init).kind == K.STRING_LITERAL):
            brace = init.kind != K.INIT_LIST_EXPR
            return pre + [('G', '__builtin_memcpy(&%s, &(__typeof__(%s))%s' % (dst, dst, '{' if brace else ''))] + \
                e + [('G', '%s, sizeof %s);' % ('}' if brace else '', dst))]
        return pre + [('G', dst + ' = ')] + e + [('G', ';')]

    def init_of(self, v):
        kids = [k for k in v.kids if k.kind.is_expression() or k.kind == K.INIT_LIST_EXPR]
        if not kids:
            return None
        k = kids[-1]
        name_off = v.c.location.offset
        if b'=' not in self.u.src[name_off:k.s]:
            return None
        return k

    # ---- expressions -----------------------------------------------------
    def temp(self, typ='int64_t'):
        self.ntemp += 1
        f = 'rtac_t%d' % self.ntemp
        self.temps.append((f, typ))
        return self.FR + f

    def await_value(self, n):
        if n.callee in front.RUNTIME_AWAITS:
            return front.RUNTIME_AWAITS[n.callee].value
        return self.u.async_fns[n.callee][0].result_type.spelling != 'void'

    def await_call(self, n, dst):
        """Pieces of the await n storing its value in dst."""
        u = self.u
        pre, args = [], []
        if n.callee in front.RUNTIME_AWAITS:
            # A runtime call, often a macro (rta_await(t) -> rta_await_cfg(t, ...)):
            # its written arguments are the template's.
            if not u.src[n.s:].startswith(n.callee.encode()):
                raise u.error(n.s, "rtac cannot lower an await inside a macro argument: assign '%s(...)' "
                              "to a variable first" % n.callee)
            for a, b in front.split_args(u, n.s)[0]:
                if any(w is not n and a <= w.s < b for w in self.awaits):
                    raise u.error(a, "rtac cannot lower an await inside the argument of '%s': assign it "
                                  "to a variable first" % n.callee)
                args.append(tree.pieces_text(u, self.render_range(a, b, n.kids)))
        elif n.macro:
            raise u.error(n.s, "rtac cannot lower an await inside a macro argument: assign '%s(...)' "
                          "to a variable first" % n.callee)
        else:
            for a in n.kids[1:]:
                p, e = self.expr(a)
                pre += p
                args.append(tree.pieces_text(u, e))
        return pre + [('L', u.line_of(n.s))] + self.emit_await(n, args, dst)

    def ret_pieces(self, e):
        """`return e;` (e: pieces, None for no value) of the lowered function."""
        if e is None:
            return [('G', 'RTA_CONT_RETURN(0);')]
        return [('G', 'RTA_CONT_RETURN(')] + e + [('G', ');')]

    def emit_await(self, n, args, dst):
        """The await n, its arguments already evaluated (text), storing its
        value in dst (None: no value wanted), after its live set (a 'K'
        piece, made text by live_text once the function's temporaries are
        all known)."""
        u = self.u
        bol = u.line_starts[u.line_of(n.s) - 1]
        indent = u.src[bol:n.s]
        indent = indent[:len(indent) - len(indent.lstrip())].decode()
        live = [('K', n, dst, [f for f, _ in self.temps[self.tmark:]]), ('L', u.line_of(n.s)), ('G', indent)]
        if n.callee in front.RUNTIME_AWAITS:
            t = front.RUNTIME_AWAITS[n.callee].cont
            return live + [('G', t.format(*args, dst=dst) + ';')]
        return live + [('G', 'RTA_CONT_CALL(%s, %s%s);' % (dst or 'rtac_discard', self.fn_name(n.callee),
                                                            ''.join(', ' + a for a in args)))]

    LIVE_DEFAULT = '\n#undef RTA__CONT_LIVE\n#define RTA__CONT_LIVE(S, A, Z, R) S()\n'

    def live_text(self, n, dst, temps):
        """RTA__CONT_LIVE for await n (rta/detail/cont.h): the frame fields
        it saves and restores (S, A for arrays) and those it saves as zeros
        (Z). Variables: those live across n (analyse's live_at). A
        temporary (a hoisted await's value, a && / || / ?: result): temps,
        those made earlier in the lowering of the statement whose own
        expressions hold n, but not the one n writes. A temporary is read
        only by the statement that made it (once its awaits ran), and a
        nested statement (an if's branch, a loop's body) starts a new list:
        its enclosing statement's temporaries are read before it runs, or
        written again before they are read (a loop's condition). The heap
        block pointer: across every await."""
        tk = front.ci.TypeKind
        arrays = (tk.CONSTANTARRAY, tk.INCOMPLETEARRAY)
        items = []
        for v in self.vars:
            if v.hoisted:
                m = ('A' if v.c.type.get_canonical().kind in arrays else 'S') if n in v.live_at else 'Z'
                items.append('%s(.%s)' % (m, v.field))
        for f, _ in self.temps:
            items.append('%s(.%s)' % ('S' if f in temps and dst != self.FR + f else 'Z', f))
        if self.heap:
            items.append('S(.rtac_heap)')
        tail = self.tail_value(n, dst)
        if tail is not None:
            items.append('R(%s)' % tail)
        return '\n#undef RTA__CONT_LIVE\n#define RTA__CONT_LIVE(S, A, Z, R) %s\n' % ' '.join(items)

    # Operators of a tail await's E (tail_value): no side effects, no traps
    # (no / or %), no memory read through a pointer.
    _PURE_BIN = {'+', '-', '*', '&', '|', '^', '<<', '>>', '==', '!=', '<', '>', '<=', '>=', '&&', '||'}
    _PURE_UN = {'-', '+', '~', '!'}

    def tail_value(self, n, dst):
        """The text of E when await n is a statement of its own whose value
        is not used, outside any try block, and control after it reaches
        `return E;` and nothing else, E made of locals of this frame (not
        address-taken, not volatile), literals and side-effect-free
        operators: E's value is then the same at the suspension as at the
        resume, and the frame can finish there (RTA__CONT_DONE1). Else None.
        (fib's leaf: `rta_yield(); ... return n;`.)"""
        u = self.u
        if dst not in (None, 'rtac_discard') or self.in_try(n):
            return None
        cur = n
        while cur.parent is not None and cur.parent.kind in (K.UNEXPOSED_EXPR, K.PAREN_EXPR,
                                                               K.CSTYLE_CAST_EXPR):
            cur = cur.parent
        while True:
            par = cur.parent
            if par is None:
                return None
            if par.kind == K.COMPOUND_STMT:
                i = next(j for j, x in enumerate(par.kids) if x is cur)
                if i + 1 < len(par.kids):
                    nxt = par.kids[i + 1]
                    break
                if par is self.body:
                    return None   # falls off the end (RTA_CONT_RETURN(0) follows)
                cur = par
            elif par.kind == K.IF_STMT and cur is not par.kids[0]:
                cur = par
            else:
                return None
        if nxt.kind != K.RETURN_STMT or nxt.macro:
            return None
        if not nxt.kids:
            return '0' if self.void else None
        if self.void:
            return None
        e = nxt.kids[0]
        for x in walk(e):
            k = x.kind
            if x.macro:
                return None
            if k in (K.INTEGER_LITERAL, K.CHARACTER_LITERAL, K.PAREN_EXPR, K.UNEXPOSED_EXPR,
                     K.CSTYLE_CAST_EXPR):
                continue
            if k == K.DECL_REF_EXPR:
                if x.ref is None or x.ref.heap or x.c.type.is_volatile_qualified():
                    return None
                continue
            if k == K.BINARY_OPERATOR and len(x.kids) == 2 and binop(u, x) in self._PURE_BIN:
                continue
            if k == K.UNARY_OPERATOR and len(x.kids) == 1 and \
                    u.text(x.s, x.kids[0].s).strip() in self._PURE_UN:
                continue
            return None
        t = tree.pieces_text(u, self.render(e))
        if '//' in t or '/*' in t:
            return None
        t = t.replace('\\\n', ' ').replace('\n', ' ')   # one #define line
        return '(%s)(%s)' % (self.ret_cast, t) if self.ret_cast else t

    def expr(self, n, stmt=False):
        """(pre, e): statements that run the awaits of expression n in order,
        then the await-free rest (None: nothing left to evaluate)."""
        u = self.u
        if not n.has_await:
            return [], self.render(n)
        if n.macro and not n.is_await:
            raise u.error(n.s, 'rtac cannot lower an await inside a macro expansion: assign it to a '
                          'variable first')
        s = strip(n)
        if s is not n and s.kind != K.PAREN_EXPR:
            pre, e = self.expr(s, stmt)
            if e is None or stmt:
                return pre, e
            return pre, [('V', n.s, s.s)] + e + [('V', s.e, n.e)]
        if n.kind == K.PAREN_EXPR and len(n.kids) == 1:
            pre, e = self.expr(n.kids[0], stmt)
            if e is None or stmt:
                return pre, e
            return pre, [('V', n.s, n.kids[0].s)] + e + [('V', n.kids[0].e, n.e)]
        if n.is_await:
            if not self.await_value(n):
                return self.await_call(n, None), None
            if stmt:
                return self.await_call(n, 'rtac_discard'), None
            # the temporary has the call's type: an int or unsigned result
            # takes part in the expression as that type, not as int64_t
            t = self.temp(self.u.async_fns[n.callee][0].result_type.spelling
                          if n.callee in self.u.async_fns else 'int64_t')
            return self.await_call(n, t), [('G', t)]
        if n.kind in (K.BINARY_OPERATOR,) and len(n.kids) == 2:
            op = binop(u, n)
            lhs, rhs = n.kids
            if op in ('&&', '||') and rhs.has_await:
                pl, el = self.expr(lhs)
                t = self.temp('int')
                pr, er = self.expr(rhs)
                pre = pl + [('G', '%s = !!(' % t)] + el + [('G', '); if (%s%s) { ' % ('' if op == '&&' else '!', t))] + \
                    pr + [('G', '%s = !!(' % t)] + er + [('G', '); } ')]
                return pre, [('G', t)]
            if op == ',':
                pl, el = self.expr(lhs, stmt=True)
                pr, er = self.expr(rhs, stmt)
                return pl + ([('G', ' ')] + el + [('G', '; ')] if el else []) + pr, er
            if op == '=' and stmt and not lhs.has_await and strip(rhs).is_await and self.await_value(strip(rhs)):
                dst = tree.pieces_text(u, self.render(lhs))
                return self.await_call(strip(rhs), dst), None
        if n.kind == K.CONDITIONAL_OPERATOR and len(n.kids) == 3:
            c, a, b = n.kids
            if a.has_await or b.has_await:
                pc, ec = self.expr(c)
                typ = n.c.type.spelling
                if typ == 'void':
                    pa, ea = self.expr(a, stmt=True)
                    pb, eb = self.expr(b, stmt=True)
                    pre = pc + [('G', 'if (')] + ec + [('G', ') { ')] + pa + \
                        (ea + [('G', ';')] if ea else []) + [('G', ' } else { ')] + pb + \
                        (eb + [('G', ';')] if eb else []) + [('G', ' } ')]
                    return pre, None
                t = self.temp(typ)
                pa, ea = self.expr(a)
                pb, eb = self.expr(b)
                pre = pc + [('G', 'if (')] + ec + [('G', ') { ')] + pa + [('G', t + ' = ')] + ea + \
                    [('G', '; } else { ')] + pb + [('G', t + ' = ')] + eb + [('G', '; } ')]
                return pre, [('G', t)]
        if n.kind == K.CONDITIONAL_OPERATOR and len(n.kids) != 3:
            raise u.error(n.s, "rtac cannot lower an await in 'x ?: y': write 'x ? x : y'")
        if n.kind == K.STMT_EXPR if hasattr(K, 'STMT_EXPR') else False:
            raise u.error(n.s, 'rtac cannot lower an await inside a statement expression')
        if n.kind == K.UNEXPOSED_EXPR and len(n.kids) > 1 and b'?' in u.src[n.s:n.e]:
            raise u.error(n.s, "rtac cannot lower an await in 'x ?: y': write 'x ? x : y'")
        if n.kind not in _HOISTABLE and not (n.kind == K.UNEXPOSED_EXPR and len(n.kids) == 1):
            raise u.error(n.s, 'rtac cannot lower an await inside this expression (%s): assign the '
                          'await to a variable first' % n.kind.name.lower())
        # Any other expression: the awaits of its operands first, in order
        # (C leaves the order of these operands unspecified).
        pre, out, pos = [], [], n.s
        for k in n.kids:
            if k.has_await:
                p, e = self.expr(k)
                if e is None:
                    raise u.error(k.s, 'this await has no value (void) and its value is used')
                pre += p
                out += self.render_range(pos, k.s, [x for x in n.kids if x.s >= pos and x.e <= k.s])
                out += e
                pos = k.e
        out += self.render_range(pos, n.e, [x for x in n.kids if x.s >= pos])
        if stmt and n.kind == K.CALL_EXPR:
            return pre, out
        return pre, out
