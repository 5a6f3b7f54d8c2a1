"""The shop's benchmark harness (``make bench``): data set, servers, load, report.

Not part of the test suite: ``pytest.ini`` leaves ``bench/`` out of ``testpaths``.
"""
