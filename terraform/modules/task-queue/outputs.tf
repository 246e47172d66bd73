output "name" {
  description = "Queue name ('<prefix>-<queue>')."
  value       = google_cloud_tasks_queue.queue.name
}

output "id" {
  description = "Queue resource id (projects/.../locations/.../queues/...)."
  value       = google_cloud_tasks_queue.queue.id
}
