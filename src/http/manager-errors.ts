/**
 * A 503 thrown by the manager inside an action (`await auth.rotate(currentToken)` while the store is away) keeps its
 * `Retry-After`: routing-controllers' default error handler answers with the error's status and body but drops its
 * headers, so they are set on the response of the request whose context the manager runs in, before the throw.
 */
import { onManagerUnavailable } from '../auth-manager';
import { currentContext } from '../context';
import { challengeBeforeThrow } from './respond';

onManagerUnavailable((error) => challengeBeforeThrow(currentContext()?.response, error));
