# The native addons of grt (native/): utimensat(2) and futimens(2), so a restore sets times to
# the nanosecond (grt_times); copy_file_range(2) and sendfile(2), so file data stored in one run
# of an image file is copied by the kernel (grt_copy); fcntl(F_SETPIPE_SZ), so `grt-catalog -` reads
# standard input up to 1 MiB per call (grt_pipe). Built from source by node-gyp when the
# package is installed (npm's default install script for a package with a binding.gyp); no
# prebuilt binaries are downloaded. Each is optional: grt falls back when one is missing.
{
  'targets': [
    {
      'target_name': 'grt_times',
      'sources': ['native/times.c'],
      'cflags': ['-std=c11', '-Wall', '-Wextra'],
      'defines': ['NAPI_VERSION=8'],
    },
    {
      'target_name': 'grt_copy',
      'sources': ['native/copy.c'],
      'cflags': ['-std=c11', '-Wall', '-Wextra'],
      'defines': ['NAPI_VERSION=8'],
    },
    {
      'target_name': 'grt_pipe',
      'sources': ['native/pipe.c'],
      'cflags': ['-std=c11', '-Wall', '-Wextra'],
      'defines': ['NAPI_VERSION=8'],
    },
  ],
}
