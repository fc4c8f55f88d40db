"""The async1 lowering: each RTA_ASYNC function becomes an async1 method
(include/rta/async1.h), what the C# compiler makes of an async method:

    RTA_ASYNC1_METHOD(rtac1__f, rta_task * [, builder override]);
    typedef struct { rta_async1_sm hdr; <frame> } rtac1__f__sm;
    static void f(rta_async1_sm *)      the move-next: the body, resumed
                                         through a switch on the state
    rta_task *rtac1__f(<params>)         the stub callers call: fills a
                                         state machine on its stack, starts it

It shares the cont lowering (cont.py): the same analysis keeps in the frame
(here: the state machine) only the locals live across an await, the same
statement and expression lowering hoists awaits out of expressions. What
differs is in the hooks this class overrides: how an await, a return, a
try block and rta_spawn are written.

Each await gets a number (its state). Suspending stores it and returns; the
move-next's entry switch jumps to the await's resume label. An await inside
RTA_TRY blocks resumes through each block's entry, innermost last, so that
the handler records are pushed again (the C# compiler's nested dispatch):
the entry switch jumps to the outermost try's entry label, whose own switch
jumps on. Suspending inside a try pops its records first (they live on the
move-next's C stack, which the suspension leaves), so an error raised by the
suspension itself (out of memory, runtime not running) faults the method
instead of reaching its handler.

Locals whose address is taken while an await can suspend live in a heap
block (F->rtac_heap->v, type rtac1__f__locals) that the move-next
allocates at the start and frees on every way out: each return frees it,
and the whole body sits in an outer try block (rtac_try_0, a finally that
frees it and rethrows), which resumes like any other. The state machine
itself moves to the heap at the first suspension, the block never does.

Every parameter lives in the state machine (the stub fills it); the move-
next has no parameters of its own. Callee awaits follow the callee's
builder: a task (default, RTA_BUILDER(task)) or a value task
(RTA_BUILDER(vtask), RTA_BUILDER(pool, N))."""

from . import cont, front
from .tree import strip


def a1_name(name):
    """The async1 build's name for async function name's stub (rtac1__f):
    not cont's rtac__f, so that one program can link the cont and async1
    builds of a file whose async functions have external linkage (the
    HTTP scenario links every engine's build of its pipeline)."""
    return 'rtac1__' + name

POOL_MAX = 4096   # RTA_ASYNC1_POOL_MAX


class Try:
    """An RTA_TRY being lowered: its record's name, its entry label and the
    resume jumps its entry switch makes (filled as awaits are met)."""

    def __init__(self, i):
        self.var = 'rtac_try_%d' % i
        self.entry = 'rtac_try_entry_%d' % i
        self.jumps = []                # (state, label)
        self.disp = ['G', '']          # a piece filled once the body is lowered


class Lowering(cont.Lowering):
    FR = 'F->'

    # ---- builders and signatures -----------------------------------------
    def builder(self, name):
        """(return type, RTA_ASYNC1_METHOD override argument or None,
        value task?) of async function name, from its RTA_BUILDER marker."""
        spec = self.u.builders.get(name)
        if spec is None or spec.strip() == 'task':
            return 'rta_task *', None, False
        parts = [p.strip() for p in spec.split(',')]
        if parts == ['vtask']:
            return 'rta_vtask', None, True
        if len(parts) == 2 and parts[0] == 'pool':
            try:
                n = int(parts[1], 0)
            except ValueError:
                n = -1
            if not 1 <= n <= POOL_MAX:
                raise self.u.error(self.u.async_fns[name][0],
                                   "RTA_BUILDER(pool, %s) of '%s': the pool size must be an integer "
                                   "constant from 1 to %d" % (parts[1], name, POOL_MAX))
            return 'rta_vtask', 'RTA_ASYNC_METHOD_BUILDER(rta_pooling_vtask_builder, %d)' % n, True
        raise self.u.error(self.u.async_fns[name][0],
                           "RTA_BUILDER(%s) of '%s': write RTA_BUILDER(task), RTA_BUILDER(vtask) or "
                           "RTA_BUILDER(pool, N)" % (spec, name))

    def prototype(self, c, with_names=True):
        """The stub: what callers (and rta_spawn) call."""
        static = c.storage_class == front.ci.StorageClass.STATIC
        ps = ', '.join(self.decl_text(t, n) for n, t, _ in self.params(c)) or 'void'
        ret = self.builder(c.spelling)[0]
        return '%s%s%s%s(%s)' % ('static ' if static else '', ret, '' if ret.endswith('*') else ' ',
                                 a1_name(c.spelling), ps)

    def mn_name(self, c):
        """The move-next function, where the user's code runs: named as the
        user's function (gdb, async stack traces) when no declaration outside
        this file can clash with it, else rtac1__f__mn."""
        name = c.spelling
        return name if self.local_only(name) else a1_name(name) + '__mn'

    def mn_attrs(self, c):
        """(attributes, specifiers) of the move-next: the user's, and inline
        unless they wrote it already or asked for noinline. The stub runs the
        move-next's first part directly (RTA_ASYNC1_START) with the state
        known to be -1; inlined there, the state switch folds away and a
        method that completes without suspending costs no call. gcc inlines
        a small static function on its own, but not past -O3's
        max-inline-insns-auto, which the cancel points of a yield or a wait
        took a hand-lowered-size method over (sawtooth async1-task 50<->100,
        docs/async1.md); inline asks it to weigh the larger limit for
        functions declared inline, so a large method still is not. The
        move-next stays out of line too: every resumption calls it through
        the machine's pointer."""
        attrs, specs = self.user_attrs(c)
        if not specs and not self._attrs.says_noinline(attrs):
            specs = 'inline '
        return attrs, specs

    def locals_type(self, c):
        return a1_name(c.spelling) + '__locals'

    # ---- one function ----------------------------------------------------
    def lower_fn(self, c):
        u = self.u
        root, body = self.begin_fn(c)
        # The move-next has no parameters: all of them live in the machine.
        seen = {}
        for v in self.vars:
            if v.param:
                v.hoisted = True
            if v.hoisted:
                k = seen.get(v.name, 0)
                seen[v.name] = k + 1
                v.field = v.name if not k else '%s_%d' % (v.name, k + 1)
        self.nstate = 0
        self.ntry = 0
        self.tries = []        # the Try blocks the statement being lowered is in
        self.jumps = []        # the entry switch: (state, label)
        self.slots = set()     # await slots used: task, vtask, awaiter
        outer = None
        if self.heap:
            outer = Try(0)      # frees the heap block on a throw
            self.tries.append(outer)
        body_pieces = self.lower_compound(body, None, fn_body=True)
        name = a1_name(c.spelling)
        sm = name + '__sm'
        ret, ovr, _ = self.builder(c.spelling)
        fields = self.frame_fields()
        if 'task' in self.slots:
            fields.append('rta_task *rtac_task;')
        if 'vtask' in self.slots:
            fields.append('rta_vtask rtac_vtask;')
        if 'awaiter' in self.slots:
            fields.append('const rta_awaiter_ops *rtac_ops; void *rtac_self;')
        head = [
            '%s;' % self.prototype(c),
            self.locals_struct(c),
            'RTA_ASYNC1_METHOD(%s, %s%s);' % (name, ret, ', ' + ovr if ovr else ''),
            'typedef struct { rta_async1_sm hdr; %s } %s;' % (' '.join(fields), sm),
            # The user's attributes and inline go on the move-next, where the user's code runs.
            'RTA__CONT_NO_CLOBBERED %sstatic %svoid %s(rta_async1_sm *rta__a1_m)' % (
                self.mn_attrs(c) + (self.mn_name(c),)),
        ]
        disp = ''.join(' case %d: goto %s;' % j for j in self.jumps)
        prologue = ((' ' + self.cfg_text if self.cfg_stmt is not None else '') +
                    ' const rta_async1_builder_ops *const rta__a1_ops = %s__ops; %s *const F = (%s *)rta__a1_m; '
                    'rta_async1_sm *const rta__a1_sm = &F->hdr; __attribute__((unused)) int64_t rtac_discard; '
                    'switch (rta__a1_sm->state) { case -1: break;%s default: rta__async1_bad_state(rta__a1_sm); }'
                    % (name, sm, sm, disp))
        first = body_pieces[0]
        assert first[0] == 'V'
        enter = []
        if outer is not None:
            # Only the first entry (state -1) gets here: resumptions jump to
            # rtac_try_entry_0 from the switch above.
            prologue += (' F->rtac_heap = rta__async2_locals_new(sizeof *F->rtac_heap, "%s");%s'
                         % (c.spelling, ''.join(' %s = F->%s;' % (self.place(v), v.field)
                                                for v in self.vars if v.param and v.heap)))
            prologue += (' { rta__try %s; %s: rta__try_push(&%s, __func__); if (setjmp(%s.jb) == 0) { '
                         % (outer.var, outer.entry, outer.var, outer.var))
            if outer.jumps:
                enter = [('G', 'switch (rta__a1_sm->state) {%s default: break; } ' % ''.join(
                    ' case %d: goto %s;' % j for j in outer.jumps))]
        out = [('G', '\n'.join(h for h in head if h) + '\n'), ('V', body.s, body.s + 1), ('G', prologue)] + \
            enter + [('V', body.s + 1, first[2])] + body_pieces[1:]
        last = out.pop()
        assert last[0] == 'V' and u.src[last[2] - 1:last[2]] == b'}'
        out.append(('V', last[1], last[2] - 1))
        out += self.ret_pieces(None) + [('G', ' ')]
        if outer is not None:
            self.tries.pop()
            out.append(('G', 'rta__try_pop(&%s); } if (rta__try_handler(&%s, RTA__FINALLY_KIND)) { '
                        'rta__a1_sm->state = -1; rta__async2_locals_free(F->rtac_heap); } rta__try_end(&%s); } '
                        % (outer.var, outer.var, outer.var)))
        out.append(('V', last[2] - 1, last[2]))
        # The stub stores the parameters one by one and nothing else, as a
        # hand-written stub does: RTA_ASYNC1_START fills the header, the body
        # writes every other field before it reads it. An initializer would
        # zero the whole machine at every call (the header, the await slots,
        # the hoisted locals: a `rep stos` of ~100 bytes per synchronous call,
        # docs/async1.md "rtac's stub").
        inits = ''.join(' sm.%s = %s;' % (v.field, v.name) for v in self.vars if v.param)
        stub = ('\n%s\n{ %s sm;%s RTA_ASYNC1_START(%s, &sm, %s); '
                'return RTA_ASYNC1_TASK(%s, &sm); }\n'
                % (self.prototype(c), sm, inits, name, self.mn_name(c), name))
        out.append(('G', stub))
        self.subs.append((self.decl_start(c), root.e, out))

    # ---- awaits ------------------------------------------------------------
    def leave(self):
        """What a suspension or return does before `return`: pop the records of
        the try blocks it is in, innermost first."""
        return ''.join('rta__try_pop(&%s); ' % t.var for t in reversed(self.tries))

    def new_state(self):
        self.nstate += 1
        k = self.nstate
        label = 'rtac_resume_%d' % k
        # Each try block jumps to the next inner one's entry; the innermost
        # to the await; the function's entry switch to the outermost.
        target = label
        for t in reversed(self.tries):
            t.jumps.append((k, target))
            target = t.entry
        self.jumps.append((k, target))
        return k, label

    def emit_await(self, n, args, dst):
        slot_t, slot_v = self.FR + 'rtac_task', self.FR + 'rtac_vtask'
        resumed = ''  # what runs only after a real suspension, at its label
        if n.callee in front.RUNTIME_AWAITS:
            form = front.RUNTIME_AWAITS[n.callee].async1
            if form is None:
                raise self.u.error(n.s, "'%s' has no async1 form yet: rtac cannot build this await for "
                                   "the async1 engine (front.RUNTIME_AWAITS)" % n.callee)
            kind, ops = form[0], [x.format(*args) for x in form[1:]]
            cfg = ops[-1]
            # rta_await and rta_yield are cancel points (docs/io.md): they
            # throw -ECANCELED on entry and on resuming once the task has a
            # cancel request (rta__cancel_point; cont's run_root throws at the resume).
            # On resuming only: an await of a task already complete does
            # not suspend, and checks once, as a tasklet's does (a second
            # check there cost every such await ~15 instructions).
            if kind == 'ref':
                self.slots.add('task')
                setup = '%s = (%s); rta__cancel_point("rta_await");' % (slot_t, ops[0])
                ready = 'rta_task_awaiter.is_completed(%s)' % slot_t
                aw, me = '&rta_task_awaiter', slot_t
                resumed = ' rta__cancel_point("rta_await");'
                result = 'rta_task_awaiter.get_result(%s)' % slot_t
            elif kind == 'owned':
                self.slots.add('task')
                setup = '%s = %s;' % (slot_t, ops[0])
                ready = 'rta__async1_task_ready(%s)' % slot_t
                aw, me, result = '&rta_task_awaiter', slot_t, 'rta__async1_task_consume(%s)' % slot_t
            elif kind == 'vtask':
                self.slots.add('vtask')
                setup = 'rta__async1_direct = 1; %s = %s; rta__async1_direct = 0;' % (slot_v, ops[0])
                ready = '(%s.obj_ == 0 || rta_vtask_awaiter.is_completed(&%s))' % (slot_v, slot_v)
                aw, me = '&rta_vtask_awaiter', '&' + slot_v
                result = '(%s.obj_ == 0 ? %s.v_ : rta_vtask_awaiter.get_result(&%s))' % (slot_v, slot_v, slot_v)
            elif kind == 'awaiter':
                self.slots.add('awaiter')
                setup = '%srtac_ops = (%s); %srtac_self = (%s);' % (self.FR, ops[0], self.FR, ops[1])
                ready = '%srtac_ops->is_completed(%srtac_self)' % (self.FR, self.FR)
                aw, me = self.FR + 'rtac_ops', self.FR + 'rtac_self'
                result = '%s->get_result(%s)' % (aw, me)
            elif kind == 'yield':
                setup, ready, aw, me = 'rta__cancel_point("rta_yield");', '0', '&rta_async1_yield_awaiter', 'NULL'
                result = 'rta__cancel_point("rta_yield")'
            else:
                raise self.u.error(n.s, "internal error: unknown async1 form '%s' of '%s'" % (kind, n.callee))
        else:
            call = '%s(%s)' % (a1_name(n.callee), ', '.join(args))
            cfg = 'rta__configure_await'
            if self.builder(n.callee)[2]:
                self.slots.add('vtask')
                setup = 'rta__async1_direct = 1; %s = %s; rta__async1_direct = 0;' % (slot_v, call)
                ready = '(%s.obj_ == 0 || rta_vtask_awaiter.is_completed(&%s))' % (slot_v, slot_v)
                aw, me = '&rta_vtask_awaiter', '&' + slot_v
                result = '(%s.obj_ == 0 ? %s.v_ : rta_vtask_awaiter.get_result(&%s))' % (slot_v, slot_v, slot_v)
            else:
                self.slots.add('task')
                setup = 'rta__async1_direct = 1; %s = %s; rta__async1_direct = 0;' % (slot_t, call)
                ready = 'rta__async1_task_ready(%s)' % slot_t
                aw, me, result = '&rta_task_awaiter', slot_t, 'rta__async1_task_consume(%s)' % slot_t
        k, label = self.new_state()
        # The records are popped before the machine is handed on: once it is,
        # it may resume anywhere, even on this thread before we return. The
        # resume label is inside the block (the dispatch jumps into it), so
        # that what follows it runs only on resuming; running straight on,
        # the state is -1 already (the entry switch's case -1).
        text = '%s%s{ %sRTA__A1_SUSPEND_AT(%d, %s, %s, %s); return; %s: rta__a1_sm->state = -1;%s }' % (
            setup + ' ' if setup else '', 'if (!%s) ' % ready if ready != '0' else '', self.leave(), k, aw,
            me, cfg, label, resumed)
        if result is not None:
            text += ' %s;' % ('%s = %s' % (dst, result) if dst else '(void)' + result)
        return [('G', text)]

    def ret_pieces(self, e):
        if self.heap:
            # The value may read the heap block: computed before it is freed.
            return [('G', '{ int64_t rtac_rv = (int64_t)(')] + (e if e is not None else [('G', '0')]) + \
                [('G', '); %srta__async2_locals_free(F->rtac_heap); RTA_ASYNC1_RETURN(rtac_rv); }' % self.leave())]
        out = [('G', self.leave() + 'RTA_ASYNC1_RETURN(')]
        return out + (e if e is not None else [('G', '0')]) + [('G', ');')]

    def spawn_subs(self, n, fn, subs, spawner='rta_spawn'):
        """rta_spawn(f, arg): the stub of f starts it (rta__a1_spawn);
        rta_group_spawn(g, f, arg) too, then the task joins g (rta__group_spawn_a1)."""
        callee = front.spelling_offset(strip(n.kids[0]).c.extent.start)
        vt = self.builder(fn.c.spelling)[2]
        base = 'rta__a1_spawn' if spawner == 'rta_spawn' else 'rta__group_spawn_a1'
        subs.append((callee, callee + len(spawner), [('G', base + ('_v' if vt and spawner == 'rta_spawn' else
                                                                   'v' if vt else ''))]))
        fo = front.spelling_offset(fn.c.extent.start)
        subs.append((fo, fo + len(fn.c.spelling), [('G', a1_name(fn.c.spelling))]))

    # ---- try blocks --------------------------------------------------------
    def try_stmt(self, n, ctx):
        """RTA_TRY holding an await: RTA_TRY's own expansion (rta.h), with an
        entry label and a resume switch inside the body, so that resuming
        pushes the record again and jumps to the await (nested ones too)."""
        u = self.u
        catch, body, hs, handler, es, end = self.read_try(n, nest=True)
        self.ntry += 1
        t = Try(self.ntry)
        out = [('L', u.line_of(n.s)),
               ('G', '{ rta__try %s; %s: rta__try_push(&%s, __func__); if (setjmp(%s.jb) == 0) { '
                % (t.var, t.entry, t.var, t.var)), t.disp]
        self.tries.append(t)
        out += self.stmt(body, ctx)
        self.tries.pop()
        if t.jumps:
            t.disp[1] = 'switch (rta__a1_sm->state) {%s default: break; } ' % ''.join(
                ' case %d: goto %s;' % j for j in t.jumps)
        # The handler runs after a longjmp: the state may still name the
        # await whose suspension threw; nothing is being resumed now.
        if catch:
            var = u.text(hs + len('RTA_CATCH'), handler.s).strip()
            if not (var.startswith('(') and var.endswith(')')):
                raise u.error(hs, 'rtac cannot read this RTA_CATCH: write RTA_CATCH(e) { ... }')
            var = var[1:-1].strip()
            out += [('G', ' rta__try_pop(&%s); } if (rta__try_handler(&%s, RTA__CATCH_KIND)) { '
                     'rta__a1_sm->state = -1; for (rta_error *%s = %s.err; %s; %s = NULL) '
                     % (t.var, t.var, var, t.var, var, var))]
        else:
            out += [('G', ' rta__try_pop(&%s); } if (rta__try_handler(&%s, RTA__FINALLY_KIND)) { '
                     'rta__a1_sm->state = -1; ' % (t.var, t.var))]
        out += [('L', u.line_of(handler.s))] + self.stmt(handler, ctx)
        out += [('G', ' } rta__try_end(&%s); }' % t.var)]
        return out

