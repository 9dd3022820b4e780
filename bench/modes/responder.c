/*
 * The real servers' HTTP answer for bench/modes (issue 19): one epoll loop that answers every
 * request with a fixed 200 ("ok"), keep-alive unless the request says "Connection: close".
 *   responder PORT
 * Why not the lab's node backend: under the VM's software emulation it answers a few dozen
 * requests a second, so every method would measure the backend. This costs little per request,
 * so what differs between the methods (the packet path through the director) shows.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FD 65536
#define BUF 4096

struct conn { int used; char buf[BUF]; };
static struct conn *conns;

static const char KEEP[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n";
static const char CLOSE[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";

static void drop(int ep, int fd) {
  epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
  close(fd);
  conns[fd].used = 0;
}

/* Answers every complete request in the buffer; returns 0 to keep the connection, -1 to close it. */
static int serve(int fd) {
  struct conn *c = &conns[fd];
  for (;;) {
    char *end = memmem(c->buf, (size_t)c->used, "\r\n\r\n", 4);
    if (end == NULL) return c->used >= BUF ? -1 : 0;
    size_t len = (size_t)(end - c->buf) + 4;
    int close_it = memmem(c->buf, len, "onnection: close", 16) != NULL;
    const char *r = close_it ? CLOSE : KEEP;
    size_t n = close_it ? sizeof CLOSE - 1 : sizeof KEEP - 1;
    if (write(fd, r, n) != (ssize_t)n || close_it) return -1;
    memmove(c->buf, c->buf + len, (size_t)c->used - len);
    c->used -= (int)len;
  }
}

int main(int argc, char **argv) {
  int port = argc == 2 ? atoi(argv[1]) : 0;
  if (port < 1 || port > 65535) { fprintf(stderr, "usage: responder PORT\n"); return 2; }
  conns = calloc(MAX_FD, sizeof *conns);
  int one = 1, lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port), .sin_addr.s_addr = htonl(INADDR_ANY) };
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (conns == NULL || lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 1024) < 0) { perror("responder"); return 1; }
  int ep = epoll_create1(0);
  struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd }, evs[64];
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  for (;;) {
    int n = epoll_wait(ep, evs, 64, -1);
    if (n < 0 && errno != EINTR) { perror("epoll_wait"); return 1; }
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == lfd) {
        int c;
        while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
          if (c >= MAX_FD) { close(c); continue; }
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          conns[c].used = 0;
          struct epoll_event ce = { .events = EPOLLIN, .data.fd = c };
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
        }
        continue;
      }
      ssize_t r = read(fd, conns[fd].buf + conns[fd].used, (size_t)(BUF - conns[fd].used));
      if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) { drop(ep, fd); continue; }
      if (r > 0) {
        conns[fd].used += (int)r;
        if (serve(fd) < 0) drop(ep, fd);
      }
    }
  }
}
