-- Production: the original recipe's numbers, and a scan gate.
return {
  desired_count = 3,
  min_capacity = 2,
  max_capacity = 10,
  fail_on_severity = "CRITICAL",
}
