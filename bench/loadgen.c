// Copyright 2026 the pulsar for Deno authors. MIT license.
//
// A small epoll load generator for the echo benchmarks: one thread, so that
// pinned to one core it leaves the other to the server under test. Every
// loop is bounded in time. Prints one line of JSON with the results.
//
//   loadgen echo    HOST PORT CONNS MILLIS SIZE    request/response rate
//   loadgen stream  HOST PORT TOTAL CHUNK          one connection, MB/s
//   loadgen udp     HOST PORT INFLIGHT MILLIS SIZE datagram rate
//   loadgen connect HOST PORT WORKERS MILLIS SIZE  connect, echo, close
//   loadgen hold    HOST PORT COUNT                opens COUNT connections,
//                                                  one echo on each, prints
//                                                  "ready", holds them idle
//                                                  until stdin closes
//
// Messages are SIZE bytes of 'x' ending with "\r\n\r\n", pulsar's echo
// framing; a reply is complete when SIZE bytes have come back.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 512
#define MAX_LATENCY_US 2000000

static struct sockaddr_in server;
static uint32_t *histogram; // latency counts by microsecond

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

static void record(double start) {
  double us = now_us() - start;
  if (us < 0) us = 0;
  if (us >= MAX_LATENCY_US) us = MAX_LATENCY_US - 1;
  histogram[(int)us]++;
}

static double percentile(uint64_t total, double p) {
  uint64_t want = (uint64_t)(total * p), seen = 0;
  for (int us = 0; us < MAX_LATENCY_US; us++) {
    seen += histogram[us];
    if (seen > want) return us;
  }
  return MAX_LATENCY_US;
}

static char *message(int size) {
  char *msg = malloc(size);
  memset(msg, 'x', size);
  memcpy(msg + size - 4, "\r\n\r\n", 4);
  return msg;
}

static int tcp_socket(int nonblocking) {
  int fd = socket(AF_INET, SOCK_STREAM | (nonblocking ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) die("socket");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static int connect_blocking(void) {
  int fd = tcp_socket(0);
  if (connect(fd, (struct sockaddr *)&server, sizeof server) < 0) die("connect");
  fcntl(fd, F_SETFL, O_NONBLOCK);
  return fd;
}

// Closes with a reset, leaving no TIME_WAIT behind: the connect benchmark
// would otherwise run out of local ports.
static void close_reset(int fd) {
  struct linger linger = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, sizeof linger);
  close(fd);
}

typedef struct {
  int fd;
  int got;       // bytes of the reply read
  double start;  // when the request was sent
} conn_t;

static void print_rate(uint64_t ops, double seconds) {
  printf("{\"ops\":%llu,\"seconds\":%.4f,\"rate\":%.1f,\"p50_us\":%.0f,"
         "\"p99_us\":%.0f}\n",
         (unsigned long long)ops, seconds, ops / seconds,
         percentile(ops, 0.50), percentile(ops, 0.99));
}

static int echo(int conns, int millis, int size) {
  char *msg = message(size);
  char buf[65536];
  int ep = epoll_create1(0);
  conn_t *cs = calloc(conns, sizeof *cs);
  for (int i = 0; i < conns; i++) {
    cs[i].fd = connect_blocking();
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &cs[i]};
    epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
  }
  double begin = now_us(), end = begin + millis * 1000.0;
  uint64_t ops = 0;
  for (int i = 0; i < conns; i++) {
    cs[i].start = now_us();
    if (write(cs[i].fd, msg, size) != size) die("write");
  }
  struct epoll_event events[MAX_EVENTS];
  double t = begin;
  while (t < end) {
    int n = epoll_wait(ep, events, MAX_EVENTS, 100);
    t = now_us();
    for (int i = 0; i < n; i++) {
      conn_t *c = events[i].data.ptr;
      ssize_t r = read(c->fd, buf, sizeof buf);
      if (r <= 0) {
        if (r < 0 && errno == EAGAIN) continue;
        fprintf(stderr, "connection closed by the server\n");
        return 1;
      }
      c->got += r;
      if (c->got < size) continue;
      c->got -= size;
      record(c->start);
      ops++;
      if (t >= end) continue;
      c->start = t;
      if (write(c->fd, msg, size) != size) die("write");
    }
  }
  print_rate(ops, (t - begin) / 1e6);
  for (int i = 0; i < conns; i++) close(cs[i].fd);
  return 0;
}

static int stream(long long total, int chunk) {
  char *msg = message(chunk);
  static char buf[262144];
  int fd = connect_blocking();
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.fd = fd};
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  long long sent = 0, received = 0;
  int offset = 0; // into the chunk being written
  double begin = now_us(), deadline = begin + 120e6;
  struct epoll_event events[4];
  while (received < total) {
    if (now_us() > deadline) {
      fprintf(stderr, "stream timed out\n");
      return 1;
    }
    int n = epoll_wait(ep, events, 4, 1000);
    for (int i = 0; i < n; i++) {
      if (events[i].events & EPOLLOUT) {
        while (sent < total) {
          ssize_t w = write(fd, msg + offset, chunk - offset);
          if (w < 0) break;
          sent += w;
          offset = (offset + w) % chunk;
        }
        if (sent >= total) {
          ev.events = EPOLLIN;
          epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
        }
      }
      if (events[i].events & EPOLLIN) {
        ssize_t r;
        while ((r = read(fd, buf, sizeof buf)) > 0) received += r;
        if (r == 0) {
          fprintf(stderr, "connection closed by the server\n");
          return 1;
        }
      }
    }
  }
  double seconds = (now_us() - begin) / 1e6;
  printf("{\"bytes\":%lld,\"seconds\":%.4f,\"rate\":%.1f}\n", total, seconds,
         total / seconds / 1e6);
  close(fd);
  return 0;
}

static int udp(int inflight, int millis, int size) {
  char *msg = message(size);
  char buf[65536];
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  if (connect(fd, (struct sockaddr *)&server, sizeof server) < 0) die("connect");
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  double begin = now_us(), end = begin + millis * 1000.0, t = begin;
  uint64_t ops = 0;
  int outstanding = 0;
  double last_reply = begin;
  struct epoll_event events[4];
  while (t < end) {
    // Top up the datagrams in flight (also after losses: none for 20 ms).
    if (t - last_reply > 20000) outstanding = 0, last_reply = t;
    while (outstanding < inflight) {
      if (send(fd, msg, size, 0) == size) outstanding++;
      else break;
    }
    int n = epoll_wait(ep, events, 4, 10);
    t = now_us();
    if (n <= 0) continue;
    ssize_t r;
    while ((r = recv(fd, buf, sizeof buf, 0)) > 0) {
      ops++;
      outstanding--;
      last_reply = t;
    }
  }
  printf("{\"ops\":%llu,\"seconds\":%.4f,\"rate\":%.1f}\n",
         (unsigned long long)ops, (t - begin) / 1e6, ops / ((t - begin) / 1e6));
  close(fd);
  return 0;
}

typedef struct {
  int fd;
  int state; // 0 connecting, 1 awaiting the reply
  int got;
} worker_t;

static void start_connect(int ep, worker_t *w) {
  w->fd = tcp_socket(1);
  w->state = 0;
  w->got = 0;
  int r = connect(w->fd, (struct sockaddr *)&server, sizeof server);
  if (r < 0 && errno != EINPROGRESS) die("connect");
  struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = w};
  epoll_ctl(ep, EPOLL_CTL_ADD, w->fd, &ev);
}

static int churn(int workers, int millis, int size) {
  char *msg = message(size);
  char buf[65536];
  int ep = epoll_create1(0);
  worker_t *ws = calloc(workers, sizeof *ws);
  double begin = now_us(), end = begin + millis * 1000.0, t = begin;
  for (int i = 0; i < workers; i++) start_connect(ep, &ws[i]);
  uint64_t ops = 0, failures = 0;
  struct epoll_event events[MAX_EVENTS];
  while (t < end) {
    int n = epoll_wait(ep, events, MAX_EVENTS, 100);
    t = now_us();
    for (int i = 0; i < n; i++) {
      worker_t *w = events[i].data.ptr;
      if (w->state == 0) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0 || write(w->fd, msg, size) != size) {
          failures++;
          close_reset(w->fd);
          start_connect(ep, w);
          continue;
        }
        w->state = 1;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = w};
        epoll_ctl(ep, EPOLL_CTL_MOD, w->fd, &ev);
        continue;
      }
      ssize_t r = read(w->fd, buf, sizeof buf);
      if (r < 0 && errno == EAGAIN) continue;
      if (r <= 0) {
        failures++;
        close_reset(w->fd);
        start_connect(ep, w);
        continue;
      }
      w->got += r;
      if (w->got < size) continue;
      ops++;
      close_reset(w->fd);
      if (t < end) start_connect(ep, w);
    }
  }
  double seconds = (t - begin) / 1e6;
  printf("{\"ops\":%llu,\"failures\":%llu,\"seconds\":%.4f,\"rate\":%.1f}\n",
         (unsigned long long)ops, (unsigned long long)failures, seconds,
         ops / seconds);
  return 0;
}

// Opens the connections in batches, and has each batch do one echo before
// the next: the server has then accepted them all, and the listen backlog
// never overflows (an overflow costs a one-second SYN retransmit).
static int hold(int count, int size) {
  char *msg = message(size);
  char buf[65536];
  int *fds = calloc(count, sizeof *fds);
  for (int start = 0; start < count; start += 100) {
    int end = start + 100 < count ? start + 100 : count;
    for (int i = start; i < end; i++) {
      fds[i] = connect_blocking();
      fcntl(fds[i], F_SETFL, 0); // blocking for the echo
      if (write(fds[i], msg, size) != size) die("write");
    }
    for (int i = start; i < end; i++) {
      for (int got = 0; got < size;) {
        ssize_t r = read(fds[i], buf, sizeof buf);
        if (r <= 0) die("read");
        got += r;
      }
    }
  }
  printf("{\"ready\":%d}\n", count);
  fflush(stdout);
  char c;
  while (read(0, &c, 1) > 0) {
  }
  for (int i = 0; i < count; i++) close(fds[i]);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: loadgen MODE HOST PORT ARGS...\n");
    return 2;
  }
  server.sin_family = AF_INET;
  server.sin_port = htons(atoi(argv[3]));
  if (inet_pton(AF_INET, argv[2], &server.sin_addr) != 1) die("address");
  histogram = calloc(MAX_LATENCY_US, sizeof *histogram);
  const char *mode = argv[1];
  if (!strcmp(mode, "echo") && argc == 7)
    return echo(atoi(argv[4]), atoi(argv[5]), atoi(argv[6]));
  if (!strcmp(mode, "stream") && argc == 6)
    return stream(atoll(argv[4]), atoi(argv[5]));
  if (!strcmp(mode, "udp") && argc == 7)
    return udp(atoi(argv[4]), atoi(argv[5]), atoi(argv[6]));
  if (!strcmp(mode, "connect") && argc == 7)
    return churn(atoi(argv[4]), atoi(argv[5]), atoi(argv[6]));
  if (!strcmp(mode, "hold") && argc == 5) return hold(atoi(argv[4]), 64);
  fprintf(stderr, "usage: loadgen MODE HOST PORT ARGS...\n");
  return 2;
}
