"""
The run engine: one run of a schedule, from its due time to the courses' submissions.

``dispatch`` starts a run (claims its due time once, records its courses) and works on it
(submits batch by batch, as ``plan`` builds each course's call and ``submit`` makes it). ``store``
writes the run's rows, ``lease`` keeps one holder on a run, ``handoff`` passes it to a
continuation task, ``settle`` finds submissions an interruption left unrecorded, ``due`` says
which due times are due, and ``recovery`` resumes stalled runs and catches up missed due times.
"""
