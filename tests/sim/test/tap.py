#!/usr/bin/env python3
"""Runs the simulator's tests (test_*.py beside this file) and reports TAP.

Needs FGRUN_TEST_SIM_URL (a simulator in front of FGRUN_TEST_MOTO_URL; run.sh
starts both); FGRUN_TEST_REGISTRY and FGRUN are used where a test needs them
and skipped otherwise. Arguments: test name patterns (unittest -k)."""
import os
import sys
import time
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [here, os.path.dirname(here)]


class Tap(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.n = 0
        self.started = None

    def startTest(self, test):
        super().startTest(test)
        self.started = time.monotonic()

    def _line(self, ok, test, directive="", detail=None):
        self.n += 1
        took = time.monotonic() - self.started if self.started else 0.0
        print("%s %d - %s (%.1f s)%s" % ("ok" if ok else "not ok", self.n, test.id().split(".", 1)[-1], took,
                                         directive))
        if detail:
            for line in detail.rstrip().splitlines():
                print("# " + line)
        sys.stdout.flush()

    def addSuccess(self, test):
        self._line(True, test)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._line(False, test, detail=self._exc_info_to_string(err, test))

    def addError(self, test, err):
        super().addError(test, err)
        self._line(False, test, detail=self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        self._line(True, test, " # SKIP " + reason)


def main():
    loader = unittest.TestLoader()
    if len(sys.argv) > 1:
        loader.testNamePatterns = ["*%s*" % p for p in sys.argv[1:]]
    suite = loader.discover(here, pattern="test_*.py", top_level_dir=here)
    print("1..%d" % suite.countTestCases())
    result = Tap()
    suite.run(result)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
