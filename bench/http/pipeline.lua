-- wrk script: every request is `depth` pipelined GETs of the given path
-- (wrk counts each response, so requests/s is responses/s).
-- usage: wrk ... -s pipeline.lua URL -- DEPTH PATH
init = function(args)
   local depth = tonumber(args[1]) or 16
   local path = args[2] or "/plaintext"
   local r = {}
   for i = 1, depth do
      r[i] = wrk.format(nil, path)
   end
   req = table.concat(r)
end

request = function()
   return req
end
