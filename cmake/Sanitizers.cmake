# SANITIZE=address enables AddressSanitizer together with UndefinedBehaviorSanitizer;
# SANITIZE=thread enables ThreadSanitizer; SANITIZE=undefined enables UBSan alone.
if(SANITIZE STREQUAL "address")
  set(_st_san "-fsanitize=address,undefined")
elseif(SANITIZE STREQUAL "thread")
  set(_st_san "-fsanitize=thread")
elseif(SANITIZE STREQUAL "undefined")
  set(_st_san "-fsanitize=undefined")
elseif(NOT SANITIZE STREQUAL "")
  message(FATAL_ERROR "SANITIZE must be address, thread, undefined or empty (got '${SANITIZE}')")
endif()
# GCC 12 warns (-Wtsan) that ThreadSanitizer ignores std::atomic_thread_fence,
# which Boost.Asio (inside cpprestsdk's headers) uses: not our code, and with
# -Werror it would stop the build.
if(SANITIZE STREQUAL "thread" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  add_compile_options(-Wno-tsan)
endif()
# GCC 12's -Wmaybe-uninitialized misfires on std::variant<std::string> (our log
# fields) once ASan instruments it at -O2; the sanitizer itself checks far
# more than this warning could.
if(SANITIZE STREQUAL "address" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  add_compile_options(-Wno-maybe-uninitialized)
endif()
# Sanitizer builds compile at -O1 with line tables only (-g1), whatever the
# build type says (these options come after its -O2 -g): about half the
# compile time of -O2 -g on the CI's two cores, the optimisation level the
# sanitizers recommend, and reports still name file and line.
if(DEFINED _st_san)
  add_compile_options(${_st_san} -fno-omit-frame-pointer -fno-sanitize-recover=undefined -O1 -g1)
  add_link_options(${_st_san})
endif()
