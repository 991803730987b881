/*
 * The one way grt's addons throw a failed system call: an Error carrying `errno` (negative, as in
 * Node) and `syscall`; the loaders (src/restore/native-*.ts) add the `code` name (ENOENT, …).
 */
#ifndef GRT_NAPI_ERRNO_H
#define GRT_NAPI_ERRNO_H

#include <node_api.h>
#include <stdio.h>
#include <string.h>

static void throw_errno(napi_env env, int error, const char *call) {
  napi_value message, code, err, number;
  char buffer[256];
  snprintf(buffer, sizeof buffer, "%s: %s", call, strerror(error));
  napi_create_string_utf8(env, buffer, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, NULL, message, &err);
  napi_create_int32(env, -error, &number);
  napi_set_named_property(env, err, "errno", number);
  napi_create_string_utf8(env, call, NAPI_AUTO_LENGTH, &code);
  napi_set_named_property(env, err, "syscall", code);
  napi_throw(env, err);
}

#endif
