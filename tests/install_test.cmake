# Installs the built kvmem into a scratch prefix, then configures, builds and
# runs three separate consumer projects against it with find_package(kvmem):
# one using the store (kvmem::kvmem, which must not bring the network stack),
# one using only the tree (kvmem::tree, which must not bring CAF), and one
# using the network component (kvmem::remote).
file(REMOVE_RECURSE ${WORK})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${KVMEM_BUILD} --prefix ${WORK}/prefix
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "cmake --install failed: ${rc}")
endif()
foreach(consumer consumer consumer_tree consumer_remote)
  set(dir ${WORK}/${consumer})
  execute_process(COMMAND ${CMAKE_COMMAND} -S ${KVMEM_SOURCE}/tests/${consumer} -B ${dir}
                          -DCMAKE_PREFIX_PATH=${WORK}/prefix "-DCMAKE_CXX_FLAGS=${FLAGS}"
                          "-DCMAKE_EXE_LINKER_FLAGS=${FLAGS}" RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "configuring ${consumer} failed: ${rc}")
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} --build ${dir} RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "building ${consumer} failed: ${rc}")
  endif()
  file(GLOB exe ${dir}/*consumer)
  execute_process(COMMAND ${exe} RESULT_VARIABLE rc OUTPUT_VARIABLE out)
  if(rc OR NOT out MATCHES "consumer ok")
    message(FATAL_ERROR "${consumer} failed (${rc}): ${out}")
  endif()
  message(STATUS "${out}")
endforeach()
