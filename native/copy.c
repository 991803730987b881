/*
 * Kernel copies for Node: bytes of a file's data that lie in one run of an image file go from
 * that file to the output without passing through user memory. copy_file_range(2) between
 * regular files (on one file system the kernel copies page-cache pages, or shares the blocks
 * where the file system can reflink); sendfile(2) to anything else that accepts it (/dev/null,
 * a pipe) or when copy_file_range refuses the pair (EXDEV, EINVAL, ENOSYS, EOPNOTSUPP).
 * Linux man-pages copy_file_range(2), sendfile(2).
 *
 * One system call per JavaScript call, retried on EINTR: the caller loops over short counts and
 * decides what a refusal means (src/restore/native-copy.ts).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <node_api.h>
#include <stdint.h>
#include <sys/sendfile.h>
#include <sys/types.h>
#include <unistd.h>

#include "napi-errno.h"

/* argv[i] as a non-negative int64 (an offset or a length); -1 allowed where `allow_position` (the file position). */
static int read_int64(napi_env env, napi_value value, int allow_position, int64_t *out) {
  if (napi_get_value_int64(env, value, out) != napi_ok || *out < (allow_position ? -1 : 0)) {
    napi_throw_range_error(env, NULL, "offsets and lengths are non-negative safe integers");
    return 0;
  }
  return 1;
}

static int read_fd(napi_env env, napi_value value, int *out) {
  int32_t fd;
  if (napi_get_value_int32(env, value, &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "a file descriptor is a non-negative integer");
    return 0;
  }
  *out = fd;
  return 1;
}

/* Arguments (inFd, inOffset, outFd, outOffset, length); outOffset -1: the output's file position. */
struct copy_args {
  int in_fd, out_fd;
  int64_t in_offset, out_offset, length;
};

static int read_copy_args(napi_env env, napi_callback_info info, struct copy_args *args) {
  napi_value argv[5];
  size_t argc = 5;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5) {
    napi_throw_type_error(env, NULL, "expected (inFd, inOffset, outFd, outOffset, length)");
    return 0;
  }
  return read_fd(env, argv[0], &args->in_fd) && read_int64(env, argv[1], 0, &args->in_offset) &&
         read_fd(env, argv[2], &args->out_fd) && read_int64(env, argv[3], 1, &args->out_offset) &&
         read_int64(env, argv[4], 0, &args->length);
}

static napi_value count_or_throw(napi_env env, ssize_t done, const char *call) {
  napi_value result;
  if (done < 0) {
    throw_errno(env, errno, call);
    return NULL;
  }
  napi_create_int64(env, (int64_t)done, &result);
  return result;
}

/* copyFileRange(inFd, inOffset, outFd, outOffset, length) → bytes copied (0: the input ended). */
static napi_value copy_file_range_js(napi_env env, napi_callback_info info) {
  struct copy_args args;
  if (!read_copy_args(env, info, &args)) return NULL;
  loff_t in_offset = args.in_offset, out_offset = args.out_offset;
  ssize_t done;
  do {
    done = copy_file_range(args.in_fd, &in_offset, args.out_fd, args.out_offset < 0 ? NULL : &out_offset, (size_t)args.length, 0);
  } while (done < 0 && errno == EINTR);
  return count_or_throw(env, done, "copy_file_range");
}

/* sendFile(inFd, inOffset, outFd, outOffset, length) → bytes sent; a set outOffset moves the output's file position there first. */
static napi_value send_file_js(napi_env env, napi_callback_info info) {
  struct copy_args args;
  if (!read_copy_args(env, info, &args)) return NULL;
  if (args.out_offset >= 0 && lseek(args.out_fd, (off_t)args.out_offset, SEEK_SET) < 0) return count_or_throw(env, -1, "lseek");
  off_t in_offset = args.in_offset;
  ssize_t done;
  do {
    done = sendfile(args.out_fd, args.in_fd, &in_offset, (size_t)args.length);
  } while (done < 0 && errno == EINTR);
  return count_or_throw(env, done, "sendfile");
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor functions[] = {
    {"copyFileRange", NULL, copy_file_range_js, NULL, NULL, NULL, napi_enumerable, NULL},
    {"sendFile", NULL, send_file_js, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
