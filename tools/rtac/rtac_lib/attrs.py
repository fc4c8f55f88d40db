"""What the user wrote in front of an async2 function's name besides its
storage class, return type and rtac's own markers: GNU attributes
(`__attribute__((noinline))`), macros that expand to one (`RTA_NOINLINE`,
`TEST_NOINLINE`) and `inline` (async1 only: a cont function is never
inlined).

cont and async1 replace the whole declaration with generated functions, so
these would be lost; each lowering puts them back on the function that holds
the user's code (cont: the cont function, or `<f>__body` when locals live in
a heap block; async1: the move-next). Without that, a `noinline` level of a
chain is inlined at -O2 and its frame is missing from gdb and from async
stack traces (tests/rtac/traces.c).

Everything else in front of the name (the return type, `static`/`extern`,
type qualifiers, a macro that expands to a type) is dropped: the lowering
writes its own signature."""

import re

from .front import K

_TOKEN = re.compile(r'"(?:\\.|[^"\\\n])*"|[A-Za-z_]\w*|\S')
_COMMENT = re.compile(r'/\*.*?\*/|//[^\n]*', re.S)
_ATTR_WORDS = ('__attribute__', '__attribute', '__declspec')
_INLINE = ('inline', '__inline', '__inline__')
_MARKERS = ('RTA_ASYNC', 'RTA_BUILDER')    # rtac's own: read elsewhere, never carried


def _group(toks, i, open_, close):
    """Index past the balanced group starting at toks[i] == open_ (or i)."""
    if i >= len(toks) or toks[i] != open_:
        return i
    depth = 0
    while i < len(toks):
        depth += toks[i] == open_
        depth -= toks[i] == close
        i += 1
        if depth == 0:
            break
    return i


class Attrs:
    """Reads the attributes of the async functions of one source."""

    def __init__(self, u):
        self.u = u
        self._macros = None

    def _macro_body(self, name):
        """The first tokens of macro name's expansion (None: not a macro)."""
        if self._macros is None:
            self._macros = {}
            for c in self.u.tu.cursor.get_children():
                if c.kind == K.MACRO_DEFINITION:
                    self._macros[c.spelling] = c
        c = self._macros.get(name)
        if c is None:
            return None
        toks = list(c.get_tokens())[1:]
        # Function-like: the parameter list follows the name with no space.
        if toks and toks[0].spelling == '(' and toks[0].extent.start.offset == c.extent.start.offset + len(name):
            depth = 0
            for i, t in enumerate(toks):
                depth += t.spelling == '('
                depth -= t.spelling == ')'
                if depth == 0:
                    toks = toks[i + 1:]
                    break
        return [t.spelling for t in toks[:2]]

    def _is_attr_macro(self, name, depth=0):
        """True when macro name expands to an attribute (or to inline),
        directly or through another such macro."""
        if name in _MARKERS or depth > 8:
            return False
        body = self._macro_body(name)
        if not body:
            return False
        first = body[0]
        if first in _ATTR_WORDS or first in _INLINE:
            return True
        return re.match(r'[A-Za-z_]\w*$', first) is not None and self._is_attr_macro(first, depth + 1)

    def _all_tokens(self, name):
        """Every token of macro name's expansion (None: not a macro)."""
        if self._macros is None:
            self._macro_body(name)  # fills self._macros
        c = self._macros.get(name)
        return None if c is None else [t.spelling for t in list(c.get_tokens())[1:]]

    def says_noinline(self, attrs, depth=0):
        """True when attribute text attrs (as of() returns it) asks for
        noinline, written out or through macros (RTA_NOINLINE,
        TEST_NOINLINE): rtac then adds no inline of its own, which gcc would
        warn about (-Wattributes) and which would defeat the user's intent."""
        toks = attrs if isinstance(attrs, list) else _TOKEN.findall(attrs)
        for t in toks:
            if t in ('noinline', '__noinline__'):
                return True
            if depth < 8 and re.match(r'[A-Za-z_]\w*$', t) and t not in _ATTR_WORDS:
                body = self._all_tokens(t)
                if body and self.says_noinline(body, depth + 1):
                    return True
        return False

    def of(self, c, start):
        """(attributes, specifiers) written between start (the declaration's
        first byte, decl_start) and the name of function c: two strings,
        each empty or ending in a space. attributes go before the generated
        declaration, specifiers (inline) after its storage class."""
        text = _COMMENT.sub(' ', self.u.text(start, c.location.offset))
        found = list(_TOKEN.finditer(text))
        toks = [m.group() for m in found]

        def written(i, j):      # tokens i..j-1 as the user wrote them
            return text[found[i].start():found[j - 1].end()]
        attrs, specs = [], []
        i = 0
        while i < len(toks):
            t = toks[i]
            if t in _MARKERS:
                i = _group(toks, i + 1, '(', ')')
            elif t in _ATTR_WORDS or (t not in _INLINE and self._is_attr_macro(t)):
                j = _group(toks, i + 1, '(', ')')
                attrs.append(written(i, j))
                i = j
            elif t in _INLINE:
                specs.append(t)
                i += 1
            else:
                i += 1
        return ''.join(a + ' ' for a in attrs), ''.join(s + ' ' for s in specs)
