# The native addon of grt (native/): utimensat(2) and futimens(2), so a restore sets times to
# the nanosecond. Built from source by node-gyp when the package is installed (npm's default
# install script for a package with a binding.gyp); no prebuilt binaries are downloaded.
{
  'targets': [
    {
      'target_name': 'grt_times',
      'sources': ['native/times.c'],
      'cflags': ['-std=c11', '-Wall', '-Wextra'],
      'defines': ['NAPI_VERSION=8'],
    },
  ],
}
