"""`make demo`: start the emulators and Airflow, configure accounts, run the pipeline once, print a summary."""
