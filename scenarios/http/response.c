/*
 * Response heads and the Date cache. The head is built with memcpy of fixed
 * pieces: one response per pipelined request makes this the hot path. The
 * literal pieces are copied with their length known at compile time (PUT_LIT):
 * a strlen for each of the ~10 pieces was a fifth of the head's instructions.
 */
#include "http.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Per thread: no lock, and a tasklet task keeps its worker, so the pointer
 * http_date returns stays that thread's until the task's next await. Its
 * string is always HTTP_DATE_LEN characters (IMF-fixdate has fixed width). */
static _Thread_local time_t date_sec = -1;
static _Thread_local char date_buf[32];

const char *http_date(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    if (ts.tv_sec != date_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        strftime(date_buf, sizeof date_buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        date_sec = ts.tv_sec;
    }
    return date_buf;
}

const char *http_reason(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 413:
        return "Content Too Large";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

static char *put(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

static char *put_n(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

#define PUT_LIT(p, lit) put_n(p, "" lit, sizeof lit - 1)

static char *put_uint(char *p, size_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

size_t http_format_head(char *out, int status, const char *ctype, size_t len, int minor, bool close,
                        bool keep_alive_10, const char *extra1, const char *extra2)
{
    char *p = out;
    p = minor == 0 ? PUT_LIT(p, "HTTP/1.0 ") : PUT_LIT(p, "HTTP/1.1 ");
    if (status == 200) {
        p = PUT_LIT(p, "200 OK");
    } else {
        p = put_uint(p, (size_t)status);
        *p++ = ' ';
        p = put(p, http_reason(status));
    }
    p = PUT_LIT(p, "\r\nServer: rtahttpd\r\nDate: ");
    p = put_n(p, http_date(), HTTP_DATE_LEN);
    if (ctype) {
        p = PUT_LIT(p, "\r\nContent-Type: ");
        p = put(p, ctype);
    }
    p = PUT_LIT(p, "\r\nContent-Length: ");
    p = put_uint(p, len);
    if (close)
        p = PUT_LIT(p, "\r\nConnection: close");
    else if (keep_alive_10)
        p = PUT_LIT(p, "\r\nConnection: keep-alive");
    p = PUT_LIT(p, "\r\n");
    if (extra1 && *extra1)
        p = put(p, extra1);
    if (extra2 && *extra2)
        p = put(p, extra2);
    p = PUT_LIT(p, "\r\n");
    return (size_t)(p - out);
}
