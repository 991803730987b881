/*
 * utimensat(2) and futimens(2) for Node: set a restored entry's atime and mtime to the
 * nanosecond, before 1970 too, and a symbolic link's own times (AT_SYMLINK_NOFOLLOW). Node's
 * fs.utimes takes seconds as a double (about a microsecond today) and turns a negative time into
 * the current one. POSIX.1-2008 (utimensat, futimens); Linux man-pages utimensat(2).
 *
 * JavaScript passes each time as whole seconds (a safe integer) and nanoseconds (0..999999999),
 * so times past 2262 (ext4's epoch bits reach 2446) fit where int64 nanoseconds would not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "napi-errno.h"

/* Longest path accepted: PATH_MAX on Linux, with its NUL. */
#define MAX_PATH_BYTES 4096
#define NS_PER_SECOND 1000000000LL

/* argv[first], argv[first + 1]: seconds and nanoseconds of one time, checked. */
static int read_time(napi_env env, napi_value *argv, size_t first, struct timespec *out) {
  int64_t seconds, nanoseconds;
  if (napi_get_value_int64(env, argv[first], &seconds) != napi_ok ||
      napi_get_value_int64(env, argv[first + 1], &nanoseconds) != napi_ok ||
      nanoseconds < 0 || nanoseconds >= NS_PER_SECOND) {
    napi_throw_range_error(env, NULL, "a time is whole seconds and 0..999999999 nanoseconds");
    return 0;
  }
  out->tv_sec = (time_t)seconds;
  out->tv_nsec = (long)nanoseconds;
  return 1;
}

/* Both times of argv[1..4] (atime seconds, ns, mtime seconds, ns); argv[0] is the path or fd. */
static int read_args(napi_env env, napi_callback_info info, napi_value *argv, struct timespec times[2]) {
  size_t argc = 5;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5) {
    napi_throw_type_error(env, NULL, "expected (target, atimeSeconds, atimeNs, mtimeSeconds, mtimeNs)");
    return 0;
  }
  return read_time(env, argv, 1, &times[0]) && read_time(env, argv, 3, &times[1]);
}

/* lutimens(path, atimeSeconds, atimeNs, mtimeSeconds, mtimeNs): utimensat, not following a final link. */
static napi_value lutimens(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  struct timespec times[2];
  char path[MAX_PATH_BYTES];
  size_t length;
  if (!read_args(env, info, argv, times)) return NULL;
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "the path must be a string");
    return NULL;
  }
  if (length + 1 >= sizeof path || strlen(path) != length) {
    throw_errno(env, length + 1 >= sizeof path ? ENAMETOOLONG : EINVAL, "utimensat");
    return NULL;
  }
  if (utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW) != 0) throw_errno(env, errno, "utimensat");
  return NULL;
}

/* futimens(fd, atimeSeconds, atimeNs, mtimeSeconds, mtimeNs). */
static napi_value futimens_js(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  struct timespec times[2];
  int32_t fd;
  if (!read_args(env, info, argv, times)) return NULL;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, NULL, "the fd must be a number");
    return NULL;
  }
  if (futimens(fd, times) != 0) throw_errno(env, errno, "futimens");
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor functions[] = {
    {"lutimens", NULL, lutimens, NULL, NULL, NULL, napi_enumerable, NULL},
    {"futimens", NULL, futimens_js, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
