-- aws.shape_xml: the XML reader of query and ec2 answers (its own fast
-- reader, expat for anything unusual), any bytes.
local xml = require "aws.shape_xml"
return function(s) xml.parse(s) end
