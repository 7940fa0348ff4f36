"""Rescored's machine-learning package: audio in, notes and notation out.

Django-free by design: the web apps call it from RQ jobs and pass a plain
progress callback, so this package can be used (and tested) on its own.
"""
