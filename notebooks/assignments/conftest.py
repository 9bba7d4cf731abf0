"""Keep the student versions of the assignments out of the notebook tests.

``notebooks/assignments/NN_*.ipynb`` are what students receive: their stubs raise
``NotImplementedError`` by design, so nbval must not run them. The instructor
sources in ``source/`` (solutions included) are run like every other notebook.
``tests/test_assignments.py`` checks the student versions instead.
"""
collect_ignore_glob = ["[0-9][0-9]_*.ipynb"]
