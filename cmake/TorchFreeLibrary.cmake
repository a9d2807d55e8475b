# descent's code that needs no LibTorch header: descent_core and descent_optim but for the
# optimizers' LibTorch front ends (torch_optimizers, torch_drop_in), as one static library. The clang builds (make fuzz, make tsan)
# compile this, because clang 14 cannot compile LibTorch 1.13's headers as C++20 (c10::IValue is
# used incomplete in ATen/core/List.h). Programs link it whole: each optimizer registers its
# description from its own file at load time.
function(descent_torch_free_library name)
  set(library_sources)
  foreach(target descent_optim descent_core)
    get_target_property(sources ${target} SOURCES)
    foreach(source ${sources})
      if(NOT IS_ABSOLUTE ${source})
        set(source ${CMAKE_SOURCE_DIR}/${source})
      endif()
      if(NOT source MATCHES "torch_(optimizers|drop_in)\\.cpp$")
        list(APPEND library_sources ${source})
      endif()
    endforeach()
  endforeach()
  add_library(${name} STATIC ${library_sources})
  target_include_directories(${name} PUBLIC ${CMAKE_SOURCE_DIR}/include ${CMAKE_BINARY_DIR}/generated)
  target_compile_definitions(${name} PRIVATE
    DESCENT_BUILD_WEB_DIR="${DESCENT_WEB_DIR}" DESCENT_INSTALL_WEB_DIR="${CMAKE_INSTALL_FULL_DATADIR}/descent/web")
  target_link_libraries(${name} PUBLIC nlohmann_json::nlohmann_json fmt::fmt tomlplusplus::tomlplusplus
                        SQLite::SQLite3 ZLIB::ZLIB OpenMP::OpenMP_CXX ${CMAKE_DL_LIBS})
endfunction()
