# cmake -P script: npm ci into WORK_DIR, then copy uPlot's distribution files into WEB_DIR.
file(MAKE_DIRECTORY ${WORK_DIR} ${WEB_DIR})
file(COPY ${SOURCE_DIR}/package.json ${SOURCE_DIR}/package-lock.json DESTINATION ${WORK_DIR})
find_program(NPM npm)
set(ok FALSE)
if(NPM)
  execute_process(COMMAND ${NPM} ci --no-audit --no-fund --loglevel=error
                  WORKING_DIRECTORY ${WORK_DIR} RESULT_VARIABLE npm_result TIMEOUT 300)
  if(npm_result EQUAL 0 AND EXISTS ${WORK_DIR}/node_modules/uplot/dist/uPlot.iife.min.js)
    file(COPY ${WORK_DIR}/node_modules/uplot/dist/uPlot.iife.min.js
              ${WORK_DIR}/node_modules/uplot/dist/uPlot.min.css
         DESTINATION ${WEB_DIR})
    set(ok TRUE)
  endif()
endif()
if(NOT ok)
  message(WARNING "npm ci failed or npm is missing: reports will use descent's SVG charts only")
endif()
file(TOUCH ${STAMP})
