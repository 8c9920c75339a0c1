/** The body of POST /auth/login and POST /auth/session, checked by class-validator before the action runs. */
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class LoginDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  username!: string;

  // A ceiling on what scrypt is asked to hash.
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  password!: string;
}
