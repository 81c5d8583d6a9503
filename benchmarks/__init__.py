"""skgain benchmarks: each experiment is a module with ``run(quick, data_home, out_dir)``."""
