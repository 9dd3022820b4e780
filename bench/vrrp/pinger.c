/*
 * A steady ICMP echo prober for the failover benchmark. iputils ping cannot be used for the
 * gap: with no replies coming back it slows down to about one probe per 10 ms (measured: 94
 * probes in 1 s at -i 0.002), which would round every gap up by up to 10 ms. This one sends on
 * an absolute 2 ms schedule whatever happens (a late tick is not made up with a burst) and
 * prints each reply the way `ping -D` does, so the same parser reads both:
 *   [SECONDS.MICROS] 64 bytes from ADDR: icmp_seq=N
 * and at the end: "N packets transmitted, M received".
 * Usage: pinger ADDR INTERVAL_US MAX_SECONDS   (root: raw ICMP socket). Stops on SIGINT/SIGTERM.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static atomic_int stop_flag;
static atomic_long sent_count;
static int sock_fd;
static struct sockaddr_in dest;
static long interval_ns;
static double max_seconds;
static unsigned short ident;

static void on_signal(int sig) {
  (void)sig;
  atomic_store(&stop_flag, 1);
}

static unsigned short inet_sum(const void *data, size_t len) {
  const unsigned char *p = data;
  unsigned long sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += (unsigned long)(p[i] << 8 | p[i + 1]);
  if (len & 1) sum += (unsigned long)(p[len - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return htons((unsigned short)~sum);
}

static double mono_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *sender(void *arg) {
  (void)arg;
  unsigned char pkt[64];
  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  double start = mono_now();
  for (unsigned short seq = 1; !atomic_load(&stop_flag); seq++) {
    if (mono_now() - start > max_seconds) break;
    memset(pkt, 0, sizeof pkt);
    struct icmphdr *icmp = (struct icmphdr *)pkt;
    icmp->type = ICMP_ECHO;
    icmp->un.echo.id = htons(ident);
    icmp->un.echo.sequence = htons(seq);
    icmp->checksum = inet_sum(pkt, sizeof pkt);
    if (sendto(sock_fd, pkt, sizeof pkt, 0, (struct sockaddr *)&dest, sizeof dest) >= 0) atomic_fetch_add(&sent_count, 1);
    next.tv_nsec += interval_ns;
    while (next.tv_nsec >= 1000000000L) {
      next.tv_nsec -= 1000000000L;
      next.tv_sec++;
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec > next.tv_sec || (now.tv_sec == next.tv_sec && now.tv_nsec > next.tv_nsec)) next = now; /* late: no burst */
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
  }
  atomic_store(&stop_flag, 1);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: pinger ADDR INTERVAL_US MAX_SECONDS\n");
    return 2;
  }
  memset(&dest, 0, sizeof dest);
  dest.sin_family = AF_INET;
  if (inet_pton(AF_INET, argv[1], &dest.sin_addr) != 1) {
    fprintf(stderr, "bad address %s\n", argv[1]);
    return 2;
  }
  interval_ns = atol(argv[2]) * 1000L;
  max_seconds = atof(argv[3]);
  ident = (unsigned short)(getpid() & 0xffff);
  sock_fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  if (sock_fd < 0) {
    perror("socket");
    return 1;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  setvbuf(stdout, NULL, _IOLBF, 0);
  pthread_t tid;
  pthread_create(&tid, NULL, sender, NULL);
  long received = 0;
  unsigned char buf[1500];
  while (!atomic_load(&stop_flag)) {
    struct pollfd pfd = {.fd = sock_fd, .events = POLLIN};
    if (poll(&pfd, 1, 50) <= 0) continue;
    ssize_t n = recv(sock_fd, buf, sizeof buf, 0);
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    if (n < (ssize_t)sizeof(struct iphdr)) continue;
    size_t ihl = (size_t)(buf[0] & 0x0f) * 4;
    if ((size_t)n < ihl + sizeof(struct icmphdr)) continue;
    struct icmphdr *icmp = (struct icmphdr *)(buf + ihl);
    if (icmp->type != ICMP_ECHOREPLY || ntohs(icmp->un.echo.id) != ident) continue;
    received++;
    printf("[%ld.%06ld] 64 bytes from %s: icmp_seq=%u\n", (long)rt.tv_sec, rt.tv_nsec / 1000L, argv[1], ntohs(icmp->un.echo.sequence));
  }
  pthread_join(tid, NULL);
  printf("%ld packets transmitted, %ld received\n", atomic_load(&sent_count), received);
  return 0;
}
