-- An ECR repository and the image step (fg.image), for the image and scan
-- tests: build a context, push it, pass the scan gate.
local fg = require "fg"
local aws = require "aws"
local fgrun = require "fgrun"

local p = fg.params{ context = "", fail_on_severity = fg.optional "string", findings_timeout = 300 }
local d = fg.deployment("fgimage")
local suffix = d:value("suffix", function() return fgrun.uuid4():sub(1, 6) end)

local app = fg.image.build(d, { context = p.context, smoke_test = false })

local repository = d:step("repository", {
  inputs = { name = "fgimage-" .. suffix },
  find = function(i)
    local r = fg.lookup(aws.ecr.describe_repositories, { repositoryNames = { i.name } }, { "RepositoryNotFoundException" })
    r = r and r.repositories[1]
    return r and { name = r.repositoryName, uri = r.repositoryUri }
  end,
  create = function(i, ctx)
    local r = aws.ecr.create_repository{ repositoryName = i.name, tags = ctx.tags,
                                         imageScanningConfiguration = { scanOnPush = true } }.repository
    return { name = r.repositoryName, uri = r.repositoryUri }
  end,
  undo = function(r) return { { call = "ecr.delete_repository", params = { repositoryName = r.name, force = true } } } end,
})

local image = fg.image.push(d, app, repository, { tags = { "v1" }, fail_on_severity = p.fail_on_severity,
                                                  findings_timeout = p.findings_timeout })
d:output("image", image.image)
d:output("scan", image.scan.status)
