-- A development service: one task on Fargate Spot, small scaling range.
return {
  desired_count = 1,
  spot = true,
  min_capacity = 1,
  max_capacity = 2,
}
