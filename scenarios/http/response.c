/*
 * Response heads and the Date cache. The head is built with memcpy of fixed
 * pieces: one response per pipelined request makes this the hot path.
 */
#include "http.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Per thread: no lock, and a tasklet task keeps its worker, so the pointer
 * http_date returns stays that thread's until the task's next await. */
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
    p = put(p, minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ");
    p = put_uint(p, (size_t)status);
    *p++ = ' ';
    p = put(p, http_reason(status));
    p = put(p, "\r\nServer: rtahttpd\r\nDate: ");
    p = put(p, http_date());
    if (ctype) {
        p = put(p, "\r\nContent-Type: ");
        p = put(p, ctype);
    }
    p = put(p, "\r\nContent-Length: ");
    p = put_uint(p, len);
    if (close)
        p = put(p, "\r\nConnection: close");
    else if (keep_alive_10)
        p = put(p, "\r\nConnection: keep-alive");
    p = put(p, "\r\n");
    if (extra1)
        p = put(p, extra1);
    if (extra2)
        p = put(p, extra2);
    p = put(p, "\r\n");
    return (size_t)(p - out);
}
