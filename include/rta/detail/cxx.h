/*
 * rtasync: C and C++ spellings the engines' macros share (included by the
 * detail headers; not API). The macros of rta/cont.h and rta/async1.h are
 * written once and compile as C11 (with GNU extensions) and as C++17 (g++,
 * clang++): what C spells with _Static_assert, _Alignof, _Generic and
 * compound literals goes through these.
 */
#ifndef RTA_DETAIL_CXX_H
#define RTA_DETAIL_CXX_H

#ifdef __cplusplus
#define RTA__STATIC_ASSERT(c, msg) static_assert(c, msg)
#define RTA__ALIGNOF(T) alignof(T)
/* A value of type T: the zero value (C: (T){0}). */
#define RTA__ZERO(T) (rta__zero<T>())
/* A value of the aggregate type T from its members (C: (T){...}). */
#define RTA__LIT(T, ...) (T{__VA_ARGS__})
/* The initializer that zeroes any object (C: {0}; C++ warns on {0} for a
 * struct whose first member is not the only one). */
#define RTA__ZERO_INIT                                                                                       \
    {                                                                                                        \
    }
/* 1 when types A and B are the same, else 0 (C: a _Generic selection). */
#define RTA__SAME_TYPE(A, B) (rta__same_type<A, B>::value)
extern "C++" {
template <class T> inline T rta__zero()
{
    return T();
}
template <class A, class B> struct rta__same_type {
    enum { value = 0 };
};
template <class A> struct rta__same_type<A, A> {
    enum { value = 1 };
};
}
#else
#define RTA__STATIC_ASSERT(c, msg) _Static_assert(c, msg)
#define RTA__ALIGNOF(T) _Alignof(T)
#define RTA__ZERO(T) ((T){0})
#define RTA__LIT(T, ...) ((T){__VA_ARGS__})
#define RTA__ZERO_INIT                                                                                       \
    {                                                                                                        \
        0                                                                                                    \
    }
#define RTA__SAME_TYPE(A, B) _Generic((A){0}, B : 1, default : 0)
#endif

#endif
