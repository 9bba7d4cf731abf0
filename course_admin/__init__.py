"""Running the course for a class: student versions, grading, nbgrader and JupyterHub.

Tools for lecturers, kept out of ``cnnlib`` (the library students import):

* :mod:`course_admin.generate`: the student notebooks from the instructor sources,
  and the check that they do not drift;
* :mod:`course_admin.grade`: grading a class's submissions, each in its own process,
  scratch folder and guarded kernel (``_kernel.py``), into one CSV per assignment;
* :mod:`course_admin.nbgrader_course`: nbgrader's course folder and configuration;
* ``jupyterhub_config.py``: JupyterHub for a class (``jupyterhub -f ...``).

nbgrader and JupyterHub are the lecturer's packages (``requirements-lecturer.txt``).
"""
