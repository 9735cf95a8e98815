# Cross-compiling isactb (an `isactb node` for the ARM host of an embedded USRP: E310/E320
# run 32-bit ARM Linux, armhf) on a Debian build machine. docs/distributed.md has the steps.
#
#   sudo dpkg --add-architecture armhf && sudo apt-get update
#   sudo apt-get install crossbuild-essential-armhf qemu-user-static \
#       libzmq3-dev:armhf libfftw3-dev:armhf libjansson-dev:armhf libgsl-dev:armhf \
#       libcyaml-dev:armhf libliquid-dev:armhf libopenblas-dev:armhf liblapacke-dev:armhf \
#       libplplot-dev:armhf libcmocka-dev:armhf libuhd-dev:armhf
#   cmake -S . -B build-armhf -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-arm-linux-gnueabihf.cmake \
#         -DCMAKE_BUILD_TYPE=Release -DISACTB_WITH_SOAPY=OFF
#   cmake --build build-armhf -j2 --target isactb
#
# Multiarch: the armhf libraries and their .pc files live under /usr/lib/arm-linux-gnueabihf;
# pkg-config is pointed there and nowhere else, so no build-machine library leaks in.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(ISACTB_CROSS_TRIPLE arm-linux-gnueabihf)
set(CMAKE_C_COMPILER ${ISACTB_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${ISACTB_CROSS_TRIPLE}-g++)

# The USRP E3xx ARM (Cortex-A9 / A53 in 32-bit mode): NEON for FFTW's and liquid's kernels.
set(CMAKE_C_FLAGS_INIT "-mfpu=neon -mfloat-abi=hard")

set(CMAKE_FIND_ROOT_PATH /usr/${ISACTB_CROSS_TRIPLE} /usr/lib/${ISACTB_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_LIBRARY_ARCHITECTURE ${ISACTB_CROSS_TRIPLE})

set(ENV{PKG_CONFIG_LIBDIR}
    "/usr/lib/${ISACTB_CROSS_TRIPLE}/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "/")
unset(ENV{PKG_CONFIG_PATH})

# Tests built for the target run on the build machine through qemu-user when it is there.
find_program(ISACTB_QEMU_ARM qemu-arm-static)
if(ISACTB_QEMU_ARM)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${ISACTB_QEMU_ARM})
endif()
