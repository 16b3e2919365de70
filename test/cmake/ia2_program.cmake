# ia2_program(NAME [COMPARTMENT N] SOURCES a.c... [SHARED] [OUTPUT file]
#             [LINK args...] [DEPENDS targets...] [CC compiler] [CFLAGS flags...])
#
# Builds a program or shared library with ia2-cc, the way a user's build
# would: each source compiled with `ia2-cc -c`, which finds ia2.h by
# itself, then linked with `ia2-cc --ia2-compartment=N`, or without it
# where the sources declare their compartment (ia2_compartment_init.inc).
# Creates a target NAME; the output is ${CMAKE_CURRENT_BINARY_DIR}/OUTPUT
# (default NAME).
function(ia2_program NAME)
  cmake_parse_arguments(P "SHARED" "COMPARTMENT;OUTPUT;CC" "SOURCES;LINK;DEPENDS;CFLAGS" ${ARGN})
  if(NOT P_OUTPUT)
    set(P_OUTPUT ${NAME})
  endif()
  set(env)
  if(P_CC)
    set(env ${CMAKE_COMMAND} -E env IA2_CC=${P_CC})
  endif()
  set(objs)
  foreach(src ${P_SOURCES})
    get_filename_component(base ${src} NAME_WE)
    set(obj ${CMAKE_CURRENT_BINARY_DIR}/${NAME}.${base}.o)
    add_custom_command(OUTPUT ${obj}
      COMMAND ${env} $<TARGET_FILE:ia2-cc> -O2 -Wall ${P_CFLAGS}
              -c ${CMAKE_CURRENT_SOURCE_DIR}/${src} -o ${obj}
      DEPENDS ia2-cc ${CMAKE_CURRENT_SOURCE_DIR}/${src}
      IMPLICIT_DEPENDS C ${CMAKE_CURRENT_SOURCE_DIR}/${src}
      VERBATIM)
    list(APPEND objs ${obj})
  endforeach()
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${P_OUTPUT})
  set(kind)
  if(P_COMPARTMENT)
    list(APPEND kind --ia2-compartment=${P_COMPARTMENT})
  endif()
  if(P_SHARED)
    list(APPEND kind -shared)
  endif()
  add_custom_command(OUTPUT ${out}
    COMMAND ${env} $<TARGET_FILE:ia2-cc> ${kind} ${objs} -o ${out} ${P_LINK}
    DEPENDS ia2-cc ia2 ${objs} ${P_DEPENDS}
    VERBATIM)
  add_custom_target(${NAME} ALL DEPENDS ${out})
endfunction()
