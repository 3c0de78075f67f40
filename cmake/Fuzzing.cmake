# ST_FUZZ=ON builds only the libFuzzer targets of tests/fuzz (make fuzz):
# clang is required, and every library they link is compiled with coverage
# instrumentation for libFuzzer plus AddressSanitizer and UBSan. Assertions
# stay on (no NDEBUG) and libstdc++ checks its bounds, so a broken invariant
# becomes a crash the fuzzer can report.
option(ST_FUZZ "Build the libFuzzer targets in tests/fuzz (clang); no other tests" OFF)
if(ST_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "ST_FUZZ needs clang (e.g. -DCMAKE_CXX_COMPILER=clang++-14), "
                        "not ${CMAKE_CXX_COMPILER_ID}")
  endif()
  if(NOT SANITIZE STREQUAL "")
    message(FATAL_ERROR "ST_FUZZ brings its own sanitizers: leave SANITIZE empty")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer -O1 -g -UNDEBUG -D_GLIBCXX_ASSERTIONS)
  add_link_options(-fsanitize=address,undefined)
endif()
