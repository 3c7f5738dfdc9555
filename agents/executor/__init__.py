"""The executor: realise each (subtask, dataset, plan, quota) cell into verified samples."""
