print("skelbench: no benchmarks yet")
