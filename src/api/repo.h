/* Which repository a git call is about: GitLab's parse_repo_path, from
 * the project path or gl_repository. Being written. */
#ifndef GLIA_REPO_H
#define GLIA_REPO_H

#endif
