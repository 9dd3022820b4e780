/*
 * Kernel floor of a TCP check: blocking connect() + close() to the benchmark's
 * TCP targets in a tight loop, CPU (user + system, getrusage) per connection.
 * Usage: connect-floor COUNT TARGETS [rst]
 *   TARGETS: how many TCP targets bench/health/layout.js placed (127.1.x.y, ports 20000+).
 *   rst: close with SO_LINGER 0 (a RST instead of the FIN exchange).
 * Prints one JSON object.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static double wall_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  long count = atol(argv[1]);
  long targets = atol(argv[2]);
  int rst = argc > 3 && strcmp(argv[3], "rst") == 0;
  long failures = 0;
  double c0 = cpu_seconds(), w0 = wall_seconds();
  for (long i = 0; i < count; i++) {
    long t = i % targets, block = t / 1000;
    char host[32];
    snprintf(host, sizeof host, "127.1.%ld.%ld", block / 250, block % 250 + 1);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short)(20000 + t % 1000)) };
    inet_pton(AF_INET, host, &sa.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) failures++;
    if (rst && fd >= 0) {
      struct linger l = { .l_onoff = 1, .l_linger = 0 };
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    if (fd >= 0) close(fd);
  }
  double cpu = cpu_seconds() - c0, wall = wall_seconds() - w0;
  printf("{\"close\":\"%s\",\"count\":%ld,\"failures\":%ld,\"cpu_seconds_per_1000\":%.4f,\"wall_seconds\":%.3f}\n",
         rst ? "rst" : "fin", count, failures, cpu / (count / 1000.0), wall);
  return 0;
}
