/*
 * A pipe's capacity for Node: fcntl(F_SETPIPE_SZ) on either end of a pipe. A pipe holds 64 KiB by
 * default, so each read of one returns at most that; grown (an unprivileged process may grow it
 * to /proc/sys/fs/pipe-max-size, 1 MiB by default), a reader that lags the writer gets up to the
 * new capacity per read, with fewer system calls and wake-ups. Linux man-pages fcntl(2), pipe(7).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdint.h>

#include "napi-errno.h"

/* setPipeSize(fd, bytes): the pipe's capacity after the call (the kernel rounds up to pages). */
static napi_value set_pipe_size(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  int32_t fd, bytes;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0 ||
      napi_get_value_int32(env, argv[1], &bytes) != napi_ok || bytes <= 0) {
    napi_throw_type_error(env, NULL, "expected (fd, bytes): a file descriptor and a positive byte count");
    return NULL;
  }
  int size;
  do size = fcntl(fd, F_SETPIPE_SZ, bytes);
  while (size < 0 && errno == EINTR);
  if (size < 0) {
    throw_errno(env, errno, "fcntl");
    return NULL;
  }
  napi_create_int32(env, size, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor functions[] = {
    {"setPipeSize", NULL, set_pipe_size, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
