"""Memory benchmark entry (not part of the default test run): ``python -m tests.bench.bench_memory``.

Peak memory of a 1,000-run sweep against a 100-run sweep; the store should keep it flat.
"""

import json
import sys

from mandosim.experiments.bench import format_memory, memory_benchmark

if __name__ == "__main__":
    result = memory_benchmark()
    print(format_memory(result))
    print(json.dumps(result, indent=1))
    sys.exit(0 if max(result["main_ratio"], result["worker_ratio"]) <= 1.2 else 1)
