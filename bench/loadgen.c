/* A small HTTP/1.1 load generator over a Unix socket, and a trivial server to measure it against.
 * bench/run compiles it (cc -O2 -pthread) into bench/out/ and drives fnboxd with it: a Python
 * client would spend more CPU per request than the daemon does, on the same 2 cores.
 *
 *   loadgen client SOCKET PATH BODY CONCURRENCY count N     N requests in all, shared by the workers
 *   loadgen client SOCKET PATH BODY CONCURRENCY seconds S   as many as fit in S seconds
 *   loadgen serve SOCKET                                    answer every request with a fixed 200
 *
 * One keep-alive connection per worker thread, one request in flight per connection (no
 * pipelining). The client prints one JSON object: requests, errors, non-200 answers, answers with
 * X-Amz-Function-Error, wall time, rate, and latency percentiles in microseconds. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define BUF (1 << 16)

static const char *sock_path;
static char *request;
static size_t request_len;
static atomic_long remaining;
static long deadline_ns;
static int count_mode;
static pthread_barrier_t barrier;

struct worker {
    pthread_t thread;
    long *lat;
    long n, cap;
    long errors, non200, function_errors;
    long end_ns;
};

static long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static int dial(void) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strncpy(a.sun_path, sock_path, sizeof a.sun_path - 1);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* The value of header `name` in [head, end), or NULL. */
static const char *header(const char *head, const char *end, const char *name) {
    size_t len = strlen(name);
    for (const char *p = head; p && p < end; p = memchr(p, '\n', (size_t)(end - p))) {
        if (*p == '\n') p++;
        if ((size_t)(end - p) > len + 1 && strncasecmp(p, name, len) == 0 && p[len] == ':') {
            p += len + 1;
            while (*p == ' ') p++;
            return p;
        }
    }
    return NULL;
}

/* Reads one message (head + Content-Length body); the head stays in buf. Returns the head's
 * length, -1 on EOF or error. With no pipelining nothing past the message arrives. */
static long read_message(int fd, char *buf, int *close_after) {
    static __thread char sink[BUF];
    long have = 0, seen = 0, head_len = -1, body_len = 0;
    for (;;) {
        if (head_len < 0) {
            char *end = memmem(buf, (size_t)have, "\r\n\r\n", 4);
            if (end) {
                head_len = end - buf + 4;
                const char *cl = header(buf, buf + head_len, "content-length");
                body_len = cl ? atol(cl) : 0;
                const char *conn = header(buf, buf + head_len, "connection");
                *close_after = conn && strncasecmp(conn, "close", 5) == 0;
            }
        }
        if (head_len >= 0 && seen >= head_len + body_len) return head_len;
        if (have == BUF && head_len < 0) return -1;
        char *into = have < BUF ? buf + have : sink;
        size_t room = have < BUF ? (size_t)(BUF - have) : sizeof sink;
        ssize_t k = read(fd, into, room);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        if (into != sink) have += k;
        seen += k;
    }
}

static void record(struct worker *w, long ns) {
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 4096;
        w->lat = realloc(w->lat, (size_t)w->cap * sizeof *w->lat);
        if (!w->lat) abort();
    }
    w->lat[w->n++] = ns;
}

static void *client(void *arg) {
    struct worker *w = arg;
    char *buf = malloc(BUF);
    int fd = dial();
    pthread_barrier_wait(&barrier);
    for (;;) {
        if (count_mode) {
            if (atomic_fetch_sub(&remaining, 1) <= 0) break;
        } else if (now_ns() >= deadline_ns) {
            break;
        }
        if (fd < 0) fd = dial();
        long t0 = now_ns();
        int close_after = 0;
        long head = -1;
        if (fd >= 0 && write_all(fd, request, request_len) == 0) head = read_message(fd, buf, &close_after);
        long t1 = now_ns();
        if (head < 0) {
            w->errors++;
            if (fd >= 0) close(fd);
            fd = -1;
            usleep(1000);
            continue;
        }
        record(w, t1 - t0);
        if (head < 12 || strncmp(buf + 9, "200", 3) != 0) w->non200++;
        if (header(buf, buf + head, "x-amz-function-error")) w->function_errors++;
        if (close_after) {
            close(fd);
            fd = -1;
        }
    }
    w->end_ns = now_ns();
    if (fd >= 0) close(fd);
    free(buf);
    return NULL;
}

static int cmp_long(const void *a, const void *b) {
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static double pct(long *v, long n, double p) {
    if (n == 0) return 0;
    long k = (long)(p / 100.0 * (double)n + 0.5) - 1;
    if (k < 0) k = 0;
    if (k >= n) k = n - 1;
    return (double)v[k] / 1000.0;
}

static int run_client(int argc, char **argv) {
    if (argc != 8) return 2;
    sock_path = argv[2];
    const char *path = argv[3], *body = argv[4];
    int conc = atoi(argv[5]);
    count_mode = strcmp(argv[6], "count") == 0;
    double amount = atof(argv[7]);
    if (conc < 1) return 2;
    request_len = (size_t)asprintf(&request,
                                   "POST %s HTTP/1.1\r\nHost: fnbox\r\nContent-Type: application/json\r\n"
                                   "Content-Length: %zu\r\n\r\n%s",
                                   path, strlen(body), body);
    atomic_store(&remaining, count_mode ? (long)amount : 0);
    struct worker *ws = calloc((size_t)conc, sizeof *ws);
    pthread_barrier_init(&barrier, NULL, (unsigned)conc + 1);
    for (int i = 0; i < conc; i++) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 256 << 10);
        if (pthread_create(&ws[i].thread, &attr, client, &ws[i]) != 0) return 1;
    }
    long start = now_ns();
    deadline_ns = start + (long)(amount * 1e9);
    pthread_barrier_wait(&barrier);
    start = now_ns();
    if (!count_mode) deadline_ns = start + (long)(amount * 1e9);
    long n = 0, errors = 0, non200 = 0, ferr = 0, end = start;
    for (int i = 0; i < conc; i++) {
        pthread_join(ws[i].thread, NULL);
        n += ws[i].n;
        errors += ws[i].errors;
        non200 += ws[i].non200;
        ferr += ws[i].function_errors;
        if (ws[i].end_ns > end) end = ws[i].end_ns;
    }
    long *all = malloc((size_t)(n ? n : 1) * sizeof *all), k = 0;
    double sum = 0;
    for (int i = 0; i < conc; i++)
        for (long j = 0; j < ws[i].n; j++) {
            all[k++] = ws[i].lat[j];
            sum += (double)ws[i].lat[j];
        }
    qsort(all, (size_t)n, sizeof *all, cmp_long);
    double wall = (double)(end - start) / 1e9;
    printf("{\"concurrency\": %d, \"requests\": %ld, \"errors\": %ld, \"non200\": %ld, \"function_errors\": %ld, "
           "\"wall_s\": %.6f, \"rps\": %.1f, \"p50_us\": %.1f, \"p90_us\": %.1f, \"p99_us\": %.1f, "
           "\"mean_us\": %.1f, \"min_us\": %.1f, \"max_us\": %.1f}\n",
           conc, n, errors, non200, ferr, wall, wall > 0 ? (double)n / wall : 0, pct(all, n, 50), pct(all, n, 90),
           pct(all, n, 99), n ? sum / (double)n / 1000.0 : 0, n ? (double)all[0] / 1000.0 : 0,
           n ? (double)all[n - 1] / 1000.0 : 0);
    return 0;
}

static const char RESPONSE[] =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 28\r\n\r\n"
    "{\"message\": \"Hello, fnbox!\"}";

static void *serve_one(void *arg) {
    int fd = (int)(long)arg;
    char *buf = malloc(BUF);
    int close_after;
    while (read_message(fd, buf, &close_after) >= 0) {
        if (write_all(fd, RESPONSE, sizeof RESPONSE - 1) < 0) break;
    }
    close(fd);
    free(buf);
    return NULL;
}

static int run_server(int argc, char **argv) {
    if (argc != 3) return 2;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strncpy(a.sun_path, argv[2], sizeof a.sun_path - 1);
    unlink(argv[2]);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 256) < 0) {
        perror("loadgen serve");
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0) {
            if (errno == EINTR) continue;
            return 1;
        }
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 256 << 10);
        pthread_create(&t, &attr, serve_one, (void *)(long)c);
    }
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    int rc = 2;
    if (argc >= 2 && strcmp(argv[1], "client") == 0) rc = run_client(argc, argv);
    else if (argc >= 2 && strcmp(argv[1], "serve") == 0) rc = run_server(argc, argv);
    if (rc == 2)
        fprintf(stderr, "usage: loadgen client SOCKET PATH BODY CONCURRENCY count|seconds N\n"
                        "       loadgen serve SOCKET\n");
    return rc;
}
