import {
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { TracingService } from 'nestjs-tracing';

export type AuthenticatedRequest = IncomingMessage & { user?: { id: string } };

const BEARER = /^Bearer ([A-Za-z0-9._-]{1,64})$/;

/**
 * Accepts `Authorization: Bearer <user>` (a stand-in for real token checks). Guards run
 * inside the request's trace, so the user lands on the server span.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(private readonly tracing: TracingService) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const match = BEARER.exec(request.headers.authorization ?? '');
    if (match === null) throw new UnauthorizedException('Send "Authorization: Bearer <user>"');
    request.user = { id: match[1]! };
    this.tracing.setAttributes({ 'user.id': match[1]! });
    return true;
  }
}
