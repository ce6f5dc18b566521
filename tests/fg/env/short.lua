-- An environment for the fg tests: parameters only.
return { retention = 3 }
