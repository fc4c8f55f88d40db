"""The tasklet build: the source as it stands (the markers expand to
nothing; every call runs on the task's own stack). rtac still parses it, so
a source that another engine would refuse for a misuse the tasklet engine
also has (an async2 function called from non-async code) is refused here
too, and every engine accepts the same programs."""

from .front import K, callee_name


def lower(unit):
    for c in unit.tu.cursor.get_children():
        if not unit.in_main(c) or c.kind != K.FUNCTION_DECL or not c.is_definition():
            continue
        if c.spelling in unit.async_fns:
            continue
        for n in c.walk_preorder():
            if n.kind == K.CALL_EXPR and callee_name(n) in unit.async_fns:
                raise unit.error(n, "'%s' is an async2 function: only RTA_ASYNC functions call it; "
                                 "start it with rta_spawn" % callee_name(n))
    return [('V', 0, len(unit.src))]
