-- The local stand-ins (make demo): moto for AWS, podman for Docker, a
-- registry on loopback. The original's numbers; moto reports the three
-- tasks running when started with MOTO_ECS_SERVICE_RUNNING=3. Where the
-- services are comes from AWS_ENDPOINT_URL, DOCKER_HOST and
-- FGRUN_REGISTRY_MAP, not from here.
return {
  desired_count = 3,
  deploy_timeout = 120,
}
