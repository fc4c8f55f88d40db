/*
 * The async1 engine's pooled box as a value-task source: a pooling builder's
 * suspended method completes the box's rta_vtask_core (src/core/vtask.c has
 * the token rules); the consumer that takes the result returns the box to
 * its pool.
 */
#include "async1.h"

/* ---- the pooled box as a source ------------------------------------------------------------- */

static rta__a1_box *box_of_src(void *src)
{
    return rta__container_of(src, rta__a1_box, u.p.src);
}

static rta_status box_get_status(void *src, uint32_t token)
{
    return rta_vtask_core_get_status(&box_of_src(src)->u.p.core, token);
}

static void box_on_completed(void *src, uint32_t token, rta_waiter *w)
{
    rta_vtask_core_on_completed(&box_of_src(src)->u.p.core, token, w);
}

static int64_t box_get_result(void *src, uint32_t token)
{
    rta__a1_box *b = box_of_src(src);
    int64_t v = 0;
    rta_error *e = NULL;
    bool ok = rta__vtask_core_take(&b->u.p.core, token, &v, &e);
    /* Only the consumer that took the result returns the box: a misused
     * handle must not return it a second time. */
    if (ok || (rta_error_code(e) != RTA_EDOUBLEAWAIT && rta_error_code(e) != RTA_ESTALE &&
               rta_error_code(e) != RTA_EINVALIDPROGRAM))
        rta__a1_pool_return(b);
    if (!ok) {
        rta__error_capture(e, 0);
        rta_throw_error(e);
    }
    return v;
}

const rta_vtask_source_ops rta__a1_box_source_ops = {
    .get_status = box_get_status,
    .on_completed = box_on_completed,
    .get_result = box_get_result,
};
