"""armazem's Airflow DAG file: one DAG per project named in $ARMAZEM_PROJECTS (project folders
separated by ':'), or the project in $ARMAZEM_PROJECT.

Copy or link this file into Airflow's dags folder (`armazem airflow` does it for you); parsing
it reads the projects' declarations only, never a database.
"""

from armazem.orchestrate.airflow import project_dags

globals().update(project_dags())
