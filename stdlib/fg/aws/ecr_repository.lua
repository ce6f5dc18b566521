-- An ECR repository for the service's images.
local aws = require "aws"
local T = require "fg.aws.type"
local lookup = require("fg.lookup").call

local function describe(name)
  local r = lookup(aws.ecr.describe_repositories, { repositoryNames = { name } }, { "RepositoryNotFoundException" })
  return r and r.repositories[1]
end

local function result_of(r)
  return { name = r.repositoryName, uri = r.repositoryUri, arn = r.repositoryArn }
end

return T.define{
  kind = "ecr_repository",
  doc = "an ECR image repository",
  fields = {
    { "name", "string", required = true, replace = true, doc = "the repository's name" },
    { "scan_on_push", "boolean", default = true, update = "ecr.put_image_scanning_configuration",
      doc = "scan every pushed image" },
    { "tag_mutability", { "MUTABLE", "IMMUTABLE" }, default = "MUTABLE", update = "ecr.put_image_tag_mutability",
      doc = "whether a tag may move to another image" },
    { "encryption", { "AES256", "KMS" }, default = "AES256", doc = "how images are encrypted at rest",
      fixed = "ECR never changes a repository's encryption, and a new repository would lose every image the "
        .. "service runs; give the new setting to a new repository step (another name)" },
    { "force_delete", "boolean", default = true, update = "(none: how it is removed)",
      doc = "remove it with its images" },
  },
  name_field = "name", name_max = 256,
  find = function(props)
    local r = describe(props.name)
    return r and result_of(r)
  end,
  read = function(result)
    local r = describe(result.name)
    if not r then return nil end
    return { name = r.repositoryName, scan_on_push = (r.imageScanningConfiguration or {}).scanOnPush or false,
             tag_mutability = r.imageTagMutability,
             encryption = (r.encryptionConfiguration or {}).encryptionType or "AES256", force_delete = T.UNKNOWN }
  end,
  create = function(props, ctx)
    local r = result_of(aws.ecr.create_repository{
      repositoryName = props.name, tags = ctx.tags, imageTagMutability = props.tag_mutability,
      imageScanningConfiguration = { scanOnPush = props.scan_on_push },
      encryptionConfiguration = { encryptionType = props.encryption },
    }.repository)
    r.force_delete = props.force_delete
    return r
  end,
  update = function(props, result, changed)
    if changed.scan_on_push then
      aws.ecr.put_image_scanning_configuration{ repositoryName = result.name,
        imageScanningConfiguration = { scanOnPush = props.scan_on_push } }
    end
    if changed.tag_mutability then
      aws.ecr.put_image_tag_mutability{ repositoryName = result.name, imageTagMutability = props.tag_mutability }
    end
    result.force_delete = props.force_delete
    return result
  end,
  undo = function(r)
    return { { call = "ecr.delete_repository", params = { repositoryName = r.name, force = r.force_delete ~= false },
               gone = { "RepositoryNotFoundException" } } }
  end,
  id = function(r) return r.uri end,
}
