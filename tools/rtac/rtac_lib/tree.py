"""A function body as a plain Python tree over libclang cursors, with what
the lowerings need precomputed: parent links, byte ranges, and which
subtrees hold awaits, returns and declarations of frame variables.

Text is produced as *pieces*: ('V', a, b) is source bytes a..b copied
verbatim, ('G', text) is generated text, ('L', line) asks that what follows
be numbered as source line `line` (a #line directive where needed)."""

from . import front
from .front import K

# Statements that the C grammar ends with a ';' outside their extent.
_SEMI_KINDS = {K.RETURN_STMT, K.BREAK_STMT, K.CONTINUE_STMT, K.GOTO_STMT, K.DO_STMT}

# Statements that end with a sub-statement (whose ';' may lie outside).
_TAIL_KINDS = {K.IF_STMT, K.WHILE_STMT, K.FOR_STMT, K.SWITCH_STMT, K.CASE_STMT, K.DEFAULT_STMT,
               K.LABEL_STMT}

LOOPS = {K.WHILE_STMT, K.DO_STMT, K.FOR_STMT}


class Node:
    __slots__ = ('c', 'kind', 'kids', 'parent', 's', 'e', 'macro', 'is_await', 'callee',
                 'has_await', 'has_ret', 'var', 'ref')

    def __init__(self, c, parent):
        self.c = c
        self.kind = c.kind
        self.parent = parent
        self.s = c.extent.start.offset
        self.e = c.extent.end.offset
        self.kids = []
        self.macro = False
        self.is_await = False
        self.callee = None
        self.has_await = False
        self.has_ret = False
        self.var = None   # VAR_DECL: its Var
        self.ref = None   # DECL_REF_EXPR to a local: its Var


class Var:
    """A local variable or parameter of the function being lowered."""

    def __init__(self, name, cursor, decl_off, scope_end, is_param):
        self.name = name
        self.c = cursor
        self.decl = decl_off
        self.scope_end = scope_end
        self.param = is_param
        self.refs = []        # offsets (as written) of its uses
        self.addr = []        # offsets where its address is taken
        self.hoisted = False  # a frame field F.<field>
        self.field = name
        # Address taken while an await can suspend: lives in the frame's heap
        # block instead (F.rtac_heap-><hfield>), whose address never moves.
        self.heap = False
        self.hfield = name


def build(unit, cursor, parent=None):
    n = Node(cursor, parent)
    n.macro = unit.is_macro(cursor)
    for ch in cursor.get_children():
        n.kids.append(build(unit, ch, n))
    return n


def walk(n):
    yield n
    for k in n.kids:
        yield from walk(k)


def strip(n):
    """Skips implicit casts and parentheses."""
    while n.kind in (K.UNEXPOSED_EXPR, K.PAREN_EXPR) and len(n.kids) == 1:
        n = n.kids[0]
    return n


def full_end(unit, n):
    """End of statement n including the ';' that closes it."""
    if n.kind in _SEMI_KINDS or n.kind.is_expression() or (n.macro and n.kind != K.COMPOUND_STMT
                                                            and n.kind != K.DECL_STMT):
        i = unit.skip_ws(n.e)
        if unit.src[i:i + 1] == b';':
            return i + 1
    if n.kind in _TAIL_KINDS and n.kids:
        # `if (c) return;`: the statement ends with its last sub-statement's ';'.
        return max(n.e, full_end(unit, n.kids[-1]))
    return n.e


def binop(unit, n):
    """The operator of a BINARY_OPERATOR / COMPOUND_ASSIGNMENT_OPERATOR."""
    a, b = n.kids[0], n.kids[1]
    if a.macro or b.macro:
        return None
    return unit.text(a.e, b.s).strip()


def pieces_text(unit, pieces):
    out = []
    for p in pieces:
        if p[0] == 'V':
            out.append(unit.text(p[1], p[2]))
        elif p[0] == 'G':
            out.append(p[1])
    return ''.join(out)


def emit(unit, pieces, path):
    """Pieces to output text, with #line directives wherever the output's
    line numbering drifts from the source's."""
    out = []
    cur = 1           # the source line the output is at, None when unknown
    at_bol = True
    qpath = path.replace('\\', '\\\\').replace('"', '\\"')

    def directive(line):
        nonlocal cur, at_bol
        out.append(('' if at_bol else '\n') + '#line %d "%s"\n' % (line, qpath))
        cur, at_bol = line, True

    for p in pieces:
        if p[0] == 'L':
            if cur != p[1]:
                directive(p[1])
        elif p[0] == 'V':
            a, b = p[1], p[2]
            if a >= b:
                continue
            la = unit.line_of(a)
            if cur != la:
                directive(la)
            t = unit.text(a, b)
            out.append(t)
            cur = la + t.count('\n')
            at_bol = t.endswith('\n')
        else:
            t = p[1]
            if not t:
                continue
            out.append(t)
            if '\n' in t:
                cur = None
            at_bol = t.endswith('\n')
    return ''.join(out)
