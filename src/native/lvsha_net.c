/*
 * lvsha_net: the minimal native addon of lvs-ha (see docs/native.md).
 *
 * Thin wrappers over syscalls that Node.js and the raw-socket package lack:
 *   - recvmsg() on an IPv6 raw socket with ancillary data (hop limit, ifindex,
 *     destination) and sendmsg() with an IPV6_PKTINFO source address;
 *   - sendto() on an AF_PACKET socket (gratuitous ARP, unsolicited NA frames);
 *   - readiness notification of a file descriptor through libuv (uv_poll);
 *   - setns(CLONE_NEWNET) of the calling thread, so a process can open sockets
 *     inside another network namespace (tests, and daemons managing one);
 *   - one datagram on an AF_UNIX socket (sd_notify: sent by the daemon's own
 *     pid, which NotifyAccess=main requires);
 *   - the credentials of the peer of a connected AF_UNIX socket (SO_PEERCRED
 *     and SO_PEERGROUPS: who is talking on the control socket).
 * No protocol logic lives here: every policy decision (which options, which
 * groups, which addresses, what the bytes are) is made in TypeScript.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <unistd.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>

#define CHECK(call)                                                  \
  do {                                                               \
    if ((call) != napi_ok) {                                         \
      napi_throw_error(env, "LVSHA_NAPI", "N-API call failed: " #call); \
      return NULL;                                                   \
    }                                                                \
  } while (0)

static napi_value throw_errno(napi_env env, const char *syscall, int err) {
  char msg[160];
  const char *name = strerrorname_np(err);
  snprintf(msg, sizeof msg, "%s: %s", syscall, strerror(err));
  napi_throw_error(env, name ? name : "EUNKNOWN", msg);
  return NULL;
}

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_type_error(env, "LVSHA_ARGS", "missing arguments");
    return 0;
  }
  return 1;
}

static int get_i32(napi_env env, napi_value v, int32_t *out) {
  if (napi_get_value_int32(env, v, out) != napi_ok) {
    napi_throw_type_error(env, "LVSHA_ARGS", "expected an integer");
    return 0;
  }
  return 1;
}

static int get_buf(napi_env env, napi_value v, void **data, size_t *len) {
  bool is_buf = false;
  napi_is_buffer(env, v, &is_buf);
  if (!is_buf || napi_get_buffer_info(env, v, data, len) != napi_ok) {
    napi_throw_type_error(env, "LVSHA_ARGS", "expected a Buffer");
    return 0;
  }
  return 1;
}

static napi_value make_i32(napi_env env, int32_t v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

/* openSocket(domain, type, protocol): fd, non-blocking and close-on-exec. */
static napi_value open_socket(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t domain, type, protocol;
  if (!get_args(env, info, 3, argv) || !get_i32(env, argv[0], &domain) ||
      !get_i32(env, argv[1], &type) || !get_i32(env, argv[2], &protocol))
    return NULL;
  int fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) return throw_errno(env, "socket", errno);
  return make_i32(env, fd);
}

/* setIntOption(fd, level, name, value) */
static napi_value set_int_option(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t fd, level, name, value;
  if (!get_args(env, info, 4, argv) || !get_i32(env, argv[0], &fd) || !get_i32(env, argv[1], &level) ||
      !get_i32(env, argv[2], &name) || !get_i32(env, argv[3], &value))
    return NULL;
  int v = value;
  if (setsockopt(fd, level, name, &v, sizeof v) < 0) return throw_errno(env, "setsockopt", errno);
  return NULL;
}

/* setBufferOption(fd, level, name, buffer) */
static napi_value set_buffer_option(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t fd, level, name;
  void *data;
  size_t len;
  if (!get_args(env, info, 4, argv) || !get_i32(env, argv[0], &fd) || !get_i32(env, argv[1], &level) ||
      !get_i32(env, argv[2], &name) || !get_buf(env, argv[3], &data, &len))
    return NULL;
  if (setsockopt(fd, level, name, data, (socklen_t)len) < 0) return throw_errno(env, "setsockopt", errno);
  return NULL;
}

/* sendTo6(fd, payload, dst16, scopeId, src16 | null, ifindex): bytes sent */
static napi_value send_to6(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  int32_t fd, scope_id, ifindex;
  void *payload, *dst, *src = NULL;
  size_t payload_len, dst_len, src_len = 0;
  napi_valuetype src_type;
  if (!get_args(env, info, 6, argv) || !get_i32(env, argv[0], &fd) ||
      !get_buf(env, argv[1], &payload, &payload_len) || !get_buf(env, argv[2], &dst, &dst_len) ||
      !get_i32(env, argv[3], &scope_id) || !get_i32(env, argv[5], &ifindex))
    return NULL;
  CHECK(napi_typeof(env, argv[4], &src_type));
  if (src_type != napi_null && !get_buf(env, argv[4], &src, &src_len)) return NULL;
  if (dst_len != 16 || (src != NULL && src_len != 16)) {
    napi_throw_type_error(env, "LVSHA_ARGS", "IPv6 addresses are 16 bytes");
    return NULL;
  }
  struct sockaddr_in6 to;
  memset(&to, 0, sizeof to);
  to.sin6_family = AF_INET6;
  to.sin6_scope_id = (uint32_t)scope_id;
  memcpy(&to.sin6_addr, dst, 16);
  struct iovec iov = {.iov_base = payload, .iov_len = payload_len};
  union {
    char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  struct msghdr msg = {.msg_name = &to, .msg_namelen = sizeof to, .msg_iov = &iov, .msg_iovlen = 1};
  if (src != NULL || ifindex > 0) {
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = IPPROTO_IPV6;
    cm->cmsg_type = IPV6_PKTINFO;
    cm->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
    struct in6_pktinfo pi;
    memset(&pi, 0, sizeof pi);
    if (src != NULL) memcpy(&pi.ipi6_addr, src, 16);
    pi.ipi6_ifindex = (unsigned)ifindex;
    memcpy(CMSG_DATA(cm), &pi, sizeof pi);
  }
  ssize_t n = sendmsg(fd, &msg, 0);
  if (n < 0) return throw_errno(env, "sendmsg", errno);
  return make_i32(env, (int32_t)n);
}

static void set_prop(napi_env env, napi_value obj, const char *key, napi_value v) {
  napi_set_named_property(env, obj, key, v);
}

static napi_value copy_buffer(napi_env env, const void *data, size_t len) {
  napi_value out;
  void *unused;
  napi_create_buffer_copy(env, len, data, &unused, &out);
  return out;
}

/*
 * recvFrom6(fd, buffer): null when nothing is pending (EAGAIN), otherwise
 * { length, truncated, src, scopeId, dst, ifindex, hopLimit } (-1 where the
 * kernel gave no ancillary data).
 */
static napi_value recv_from6(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd;
  void *data;
  size_t len;
  if (!get_args(env, info, 2, argv) || !get_i32(env, argv[0], &fd) || !get_buf(env, argv[1], &data, &len))
    return NULL;
  struct sockaddr_in6 from;
  memset(&from, 0, sizeof from);
  struct iovec iov = {.iov_base = data, .iov_len = len};
  union {
    char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int)) + 64];
    struct cmsghdr align;
  } control;
  struct msghdr msg = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1,
                       .msg_control = control.buf, .msg_controllen = sizeof control.buf};
  ssize_t n = recvmsg(fd, &msg, 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      napi_value nul;
      napi_get_null(env, &nul);
      return nul;
    }
    return throw_errno(env, "recvmsg", errno);
  }
  int hop_limit = -1, ifindex = -1;
  struct in6_addr dst;
  memset(&dst, 0, sizeof dst);
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
    if (cm->cmsg_level != IPPROTO_IPV6) continue;
    if (cm->cmsg_type == IPV6_HOPLIMIT) {
      memcpy(&hop_limit, CMSG_DATA(cm), sizeof hop_limit);
    } else if (cm->cmsg_type == IPV6_PKTINFO) {
      struct in6_pktinfo pi;
      memcpy(&pi, CMSG_DATA(cm), sizeof pi);
      ifindex = (int)pi.ipi6_ifindex;
      dst = pi.ipi6_addr;
    }
  }
  napi_value out, tf;
  CHECK(napi_create_object(env, &out));
  set_prop(env, out, "length", make_i32(env, (int32_t)n));
  napi_get_boolean(env, (msg.msg_flags & MSG_TRUNC) != 0, &tf);
  set_prop(env, out, "truncated", tf);
  set_prop(env, out, "src", copy_buffer(env, &from.sin6_addr, 16));
  set_prop(env, out, "scopeId", make_i32(env, (int32_t)from.sin6_scope_id));
  set_prop(env, out, "dst", copy_buffer(env, &dst, 16));
  set_prop(env, out, "ifindex", make_i32(env, ifindex));
  set_prop(env, out, "hopLimit", make_i32(env, hop_limit));
  return out;
}

/* sendPacket(fd, ifindex, frame): sendto() of a whole Ethernet frame on an AF_PACKET socket. */
static napi_value send_packet(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t fd, ifindex;
  void *frame;
  size_t len;
  if (!get_args(env, info, 3, argv) || !get_i32(env, argv[0], &fd) || !get_i32(env, argv[1], &ifindex) ||
      !get_buf(env, argv[2], &frame, &len))
    return NULL;
  if (len < ETH_HLEN) {
    napi_throw_type_error(env, "LVSHA_ARGS", "frame shorter than an Ethernet header");
    return NULL;
  }
  struct sockaddr_ll to;
  memset(&to, 0, sizeof to);
  to.sll_family = AF_PACKET;
  to.sll_ifindex = ifindex;
  to.sll_halen = ETH_ALEN;
  memcpy(to.sll_addr, frame, ETH_ALEN);
  memcpy(&to.sll_protocol, (const char *)frame + 12, 2);
  ssize_t n = sendto(fd, frame, len, 0, (struct sockaddr *)&to, sizeof to);
  if (n < 0) return throw_errno(env, "sendto", errno);
  return make_i32(env, (int32_t)n);
}

/* closeFd(fd) */
static napi_value close_fd(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!get_args(env, info, 1, argv) || !get_i32(env, argv[0], &fd)) return NULL;
  if (close(fd) < 0) return throw_errno(env, "close", errno);
  return NULL;
}

/* setNetns(fd): move the calling thread into the network namespace open on fd. */
static napi_value set_netns(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!get_args(env, info, 1, argv) || !get_i32(env, argv[0], &fd)) return NULL;
  if (setns(fd, CLONE_NEWNET) < 0) return throw_errno(env, "setns", errno);
  return NULL;
}

/* A JS string as a malloc'ed NUL-terminated UTF-8 copy; *len excludes the NUL. NULL after a throw. */
static char *get_string(napi_env env, napi_value v, size_t *len) {
  if (napi_get_value_string_utf8(env, v, NULL, 0, len) != napi_ok) {
    napi_throw_type_error(env, "LVSHA_ARGS", "expected a string");
    return NULL;
  }
  char *s = malloc(*len + 1);
  if (s == NULL) {
    throw_errno(env, "malloc", ENOMEM);
    return NULL;
  }
  napi_get_value_string_utf8(env, v, s, *len + 1, len);
  return s;
}

/*
 * notifySend(socketName, message): one datagram to an AF_UNIX SOCK_DGRAM socket
 * named by a path or, with a leading '@', by an abstract name (sd_notify(3)'s
 * NOTIFY_SOCKET). Non-blocking: a full receive queue throws EAGAIN instead of
 * stalling the event loop. The kernel attaches our pid when the receiver asks
 * for SCM_CREDENTIALS, as systemd does.
 */
static napi_value notify_send(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  size_t name_len, msg_len;
  if (!get_args(env, info, 2, argv)) return NULL;
  char *name = get_string(env, argv[0], &name_len);
  if (name == NULL) return NULL;
  struct sockaddr_un to;
  memset(&to, 0, sizeof to);
  to.sun_family = AF_UNIX;
  if (name_len < 2 || name_len >= sizeof to.sun_path || strlen(name) != name_len ||
      (name[0] != '/' && name[0] != '@')) {
    free(name);
    napi_throw_type_error(env, "LVSHA_ARGS", "socket name: an absolute path or @abstract, under 108 bytes");
    return NULL;
  }
  memcpy(to.sun_path, name, name_len);
  if (name[0] == '@') to.sun_path[0] = '\0';
  socklen_t to_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + name_len + (name[0] == '/' ? 1 : 0));
  free(name);
  char *msg = get_string(env, argv[1], &msg_len);
  if (msg == NULL) return NULL;
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    free(msg);
    return throw_errno(env, "socket", errno);
  }
  ssize_t n = sendto(fd, msg, msg_len, MSG_NOSIGNAL, (struct sockaddr *)&to, to_len);
  int err = errno;
  free(msg);
  close(fd);
  if (n < 0) return throw_errno(env, "sendto", err);
  return NULL;
}

/* ---- readiness: one uv_poll per watched fd ---- */

typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context async;
  int active;
} watch_t;

static void on_poll_closed(uv_handle_t *handle) { free(handle->data); }

static void on_readable(uv_poll_t *poll, int status, int events) {
  watch_t *w = (watch_t *)poll->data;
  (void)events;
  if (!w->active) return;
  napi_handle_scope scope;
  if (napi_open_handle_scope(w->env, &scope) != napi_ok) return;
  napi_value cb, recv, arg;
  napi_get_reference_value(w->env, w->callback, &cb);
  napi_get_global(w->env, &recv);
  napi_create_int32(w->env, status, &arg);
  if (napi_make_callback(w->env, w->async, recv, cb, 1, &arg, NULL) == napi_pending_exception) {
    /* Never leave an exception pending: report it as uncaught, as Node does for its own callbacks. */
    napi_value err;
    napi_get_and_clear_last_exception(w->env, &err);
    napi_fatal_exception(w->env, err);
  }
  napi_close_handle_scope(w->env, scope);
}

static void release_watch(napi_env env, watch_t *w) {
  if (!w->active) return;
  w->active = 0;
  uv_poll_stop(&w->poll);
  napi_delete_reference(env, w->callback);
  napi_async_destroy(env, w->async);
  uv_close((uv_handle_t *)&w->poll, on_poll_closed);
}

/* watch(fd, callback(status)): an external handle; the callback runs whenever fd is readable. */
static napi_value watch_fd(napi_env env, napi_callback_info info) {
  napi_value argv[2], name, out;
  int32_t fd;
  uv_loop_t *loop;
  if (!get_args(env, info, 2, argv) || !get_i32(env, argv[0], &fd)) return NULL;
  watch_t *w = calloc(1, sizeof *w);
  if (w == NULL) return throw_errno(env, "calloc", ENOMEM);
  w->env = env;
  CHECK(napi_get_uv_event_loop(env, &loop));
  int rc = uv_poll_init(loop, &w->poll, fd);
  if (rc != 0) {
    free(w);
    return throw_errno(env, "uv_poll_init", -rc);
  }
  w->poll.data = w;
  CHECK(napi_create_reference(env, argv[1], 1, &w->callback));
  CHECK(napi_create_string_utf8(env, "lvsha_net.watch", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, NULL, name, &w->async));
  w->active = 1;
  rc = uv_poll_start(&w->poll, UV_READABLE, on_readable);
  if (rc != 0) {
    release_watch(env, w);
    return throw_errno(env, "uv_poll_start", -rc);
  }
  CHECK(napi_create_external(env, w, NULL, NULL, &out));
  return out;
}

/* unwatch(handle): stop notifications; safe to call twice. */
static napi_value unwatch_fd(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  void *data;
  if (!get_args(env, info, 1, argv)) return NULL;
  CHECK(napi_get_value_external(env, argv[0], &data));
  release_watch(env, (watch_t *)data);
  return NULL;
}

/*
 * peerCred(fd): { pid, uid, gid, groups } of the peer of a connected AF_UNIX
 * socket, as the kernel recorded them at connect() (SO_PEERCRED), with the
 * peer's supplementary groups (SO_PEERGROUPS, Linux 4.13+; empty if absent).
 */
static napi_value peer_cred(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!get_args(env, info, 1, argv) || !get_i32(env, argv[0], &fd)) return NULL;
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) return throw_errno(env, "getsockopt(SO_PEERCRED)", errno);
  gid_t groups[256];
  socklen_t glen = sizeof groups;
  size_t ngroups = 0;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) == 0) {
    ngroups = glen / sizeof(gid_t);
  } else if (errno == ERANGE) {
    /* More than 256 groups: the primary gid is still checked; say so by a -1 entry. */
    ngroups = 0;
    groups[0] = (gid_t)-1;
    ngroups = 1;
  } else if (errno != ENOPROTOOPT) {
    return throw_errno(env, "getsockopt(SO_PEERGROUPS)", errno);
  }
  napi_value out, list;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_set_named_property(env, out, "pid", make_i32(env, (int32_t)cred.pid)));
  napi_value uid, gid;
  CHECK(napi_create_uint32(env, cred.uid, &uid));
  CHECK(napi_create_uint32(env, cred.gid, &gid));
  CHECK(napi_set_named_property(env, out, "uid", uid));
  CHECK(napi_set_named_property(env, out, "gid", gid));
  CHECK(napi_create_array_with_length(env, ngroups, &list));
  for (size_t i = 0; i < ngroups; i++) {
    napi_value g;
    if (groups[i] == (gid_t)-1) CHECK(napi_create_int32(env, -1, &g));
    else CHECK(napi_create_uint32(env, groups[i], &g));
    CHECK(napi_set_element(env, list, (uint32_t)i, g));
  }
  CHECK(napi_set_named_property(env, out, "groups", list));
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"openSocket", NULL, open_socket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setIntOption", NULL, set_int_option, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setBufferOption", NULL, set_buffer_option, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendTo6", NULL, send_to6, NULL, NULL, NULL, napi_enumerable, NULL},
      {"recvFrom6", NULL, recv_from6, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendPacket", NULL, send_packet, NULL, NULL, NULL, napi_enumerable, NULL},
      {"closeFd", NULL, close_fd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setNetns", NULL, set_netns, NULL, NULL, NULL, napi_enumerable, NULL},
      {"notifySend", NULL, notify_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"watch", NULL, watch_fd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unwatch", NULL, unwatch_fd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"peerCred", NULL, peer_cred, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
