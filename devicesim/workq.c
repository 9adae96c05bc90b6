/* A small worker pool for the fleet's loop (dsim_fleet.h): jobs go to
 * threads; a finished job is handed back to the loop through a pipe whose
 * read end the loop watches, so done() runs on the loop's thread and no
 * libevent call is made off it. */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "dsim_fleet.h"

struct workq_job {
	dsim_work_fn	work, done;
	void		*arg;
	struct workq_job *next;
};

struct dsim_workq {
	pthread_mutex_t	lock;
	pthread_cond_t	cond;
	struct workq_job *todo, *todo_tail, *finished;
	bool		stopping;
	pthread_t	*threads;
	int		n_threads;
	int		pipe_fd[2];
	struct event	*ev;
};

static void *
workq_thread(void *arg)
{
	struct dsim_workq *q = arg;
	struct workq_job *j;
	char one = 1;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (q->todo == NULL && !q->stopping)
			pthread_cond_wait(&q->cond, &q->lock);
		if (q->stopping)
			break;
		j = q->todo;
		if ((q->todo = j->next) == NULL)
			q->todo_tail = NULL;
		pthread_mutex_unlock(&q->lock);
		j->work(j->arg);
		pthread_mutex_lock(&q->lock);
		j->next = q->finished;
		q->finished = j;
		if (write(q->pipe_fd[1], &one, 1) < 0) {
			/* the pipe is full: the loop will drain what is there */
		}
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

/* On the loop: run done() of every finished job. */
static void
workq_drain(evutil_socket_t fd, short what, void *arg)
{
	struct dsim_workq *q = arg;
	struct workq_job *j, *next;
	char buf[256];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&q->lock);
	j = q->finished;
	q->finished = NULL;
	pthread_mutex_unlock(&q->lock);
	for (; j != NULL; j = next) {
		next = j->next;
		j->done(j->arg);
		free(j);
	}
}

struct dsim_workq *
dsim_workq_new(struct event_base *base, int threads)
{
	struct dsim_workq *q = calloc(1, sizeof(*q));

	if (q == NULL || pipe2(q->pipe_fd, O_NONBLOCK | O_CLOEXEC) != 0) {
		free(q);
		return NULL;
	}
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	q->ev = event_new(base, q->pipe_fd[0], EV_READ | EV_PERSIST, workq_drain, q);
	q->threads = calloc((size_t)threads, sizeof(pthread_t));
	if (q->ev == NULL || q->threads == NULL || event_add(q->ev, NULL) != 0) {
		dsim_workq_free(q);
		return NULL;
	}
	for (; q->n_threads < threads; q->n_threads++)
		if (pthread_create(&q->threads[q->n_threads], NULL, workq_thread, q) != 0)
			break;
	if (q->n_threads == 0) {
		dsim_workq_free(q);
		return NULL;
	}
	return q;
}

int
dsim_workq_submit(struct dsim_workq *q, dsim_work_fn work, dsim_work_fn done, void *arg)
{
	struct workq_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return -1;
	*j = (struct workq_job){ .work = work, .done = done, .arg = arg };
	pthread_mutex_lock(&q->lock);
	if (q->todo_tail != NULL)
		q->todo_tail->next = j;
	else
		q->todo = j;
	q->todo_tail = j;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

static void
workq_free_list(struct workq_job *j)
{
	struct workq_job *next;

	for (; j != NULL; j = next) {
		next = j->next;
		free(j);
	}
}

void
dsim_workq_free(struct dsim_workq *q)
{
	if (q == NULL)
		return;
	pthread_mutex_lock(&q->lock);
	q->stopping = true;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
	for (int i = 0; i < q->n_threads; i++)
		pthread_join(q->threads[i], NULL);
	workq_free_list(q->todo);
	workq_free_list(q->finished);
	if (q->ev != NULL)
		event_free(q->ev);
	close(q->pipe_fd[0]);
	close(q->pipe_fd[1]);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->cond);
	free(q->threads);
	free(q);
}
