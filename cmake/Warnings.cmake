# st_warnings(TARGET): strict warnings for our own code; third-party headers are
# included as SYSTEM by their imported targets, so they do not trip -Werror.
# -Wnull-dereference is left out: at -O2 it fires inside inlined Boost.Asio
# code (cpprestsdk's dependency), where SYSTEM include paths do not help.
function(st_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
    -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough
    -Wno-deprecated-declarations)
  if(WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
